package governance

// frenchTrustFormats translates the messages of the trust center and the egress allowlist. See frenchFormats.
var frenchTrustFormats = map[string]string{}
