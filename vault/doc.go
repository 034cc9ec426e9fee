// Package vault seals tenant secrets (client secrets, refresh tokens, webhook
// signing secrets, CRM tokens) with envelope encryption.
//
// Each tenant has data-encryption keys (DEKs, AES-256-GCM). A DEK is stored
// only wrapped by a key-encryption key (KEK) that never leaves its
// KEKProvider: the local Keyring file for one node, a cloud key vault in
// production. Rotating the KEK re-wraps the DEKs and never touches the
// secrets; rotating a tenant's DEK leaves its old DEKs in place so every
// existing ciphertext still opens.
//
// Ciphertexts are self-describing (format version, DEK id, nonce) and bound
// to the tenant and secret name they were sealed for: moved anywhere else,
// they fail to open.
//
// The package depends on the standard library and governance only; the
// storage it needs is declared here as KeyStore and SecretStore.
package vault
