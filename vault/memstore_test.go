package vault

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/stewardhq/steward/governance"
)

// memStore is an in-memory KeyStore and SecretStore that keeps the contracts
// the real store must keep (versions, conflicts, not-found, one active key).
type memStore struct {
	mu      sync.Mutex
	keys    map[string][]governance.DataKey // by tenant, oldest first
	secrets map[string]map[string]governance.SealedSecret

	// bumpBeforeRewrap, when > 0, makes that many RewrapDataKey calls first
	// bump the stored version, as a concurrent writer would.
	bumpBeforeRewrap int
	rewraps          int // successful RewrapDataKey calls
}

var (
	_ KeyStore    = (*memStore)(nil)
	_ SecretStore = (*memStore)(nil)
)

func newMemStore() *memStore {
	return &memStore{
		keys:    make(map[string][]governance.DataKey),
		secrets: make(map[string]map[string]governance.SealedSecret),
	}
}

func cloneKey(k governance.DataKey) governance.DataKey {
	k.Wrapped = bytes.Clone(k.Wrapped)
	return k
}

func notFound(what string) error {
	return governance.Errorf(governance.KindNotFound, what+"_not_found", "%s not found", what)
}

func conflict(what string) error {
	return governance.Errorf(governance.KindConflict, what+"_conflict", "%s changed or exists", what)
}

func (m *memStore) ActiveDataKey(ctx context.Context, tenantID string) (governance.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys[tenantID] {
		if k.Active {
			return cloneKey(k), nil
		}
	}
	return governance.DataKey{}, notFound("data_key")
}

func (m *memStore) DataKey(ctx context.Context, tenantID, id string) (governance.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.keys[tenantID] {
		if k.ID == id {
			return cloneKey(k), nil
		}
	}
	return governance.DataKey{}, notFound("data_key")
}

func (m *memStore) DataKeys(ctx context.Context, tenantID string) ([]governance.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]governance.DataKey, 0, len(m.keys[tenantID]))
	for _, k := range m.keys[tenantID] {
		out = append(out, cloneKey(k))
	}
	return out, nil
}

func (m *memStore) CreateDataKey(ctx context.Context, k governance.DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.keys[k.TenantID]
	for _, old := range list {
		if old.ID == k.ID {
			return conflict("data_key")
		}
	}
	if k.Active {
		for i := range list {
			list[i].Active = false
		}
	}
	k = cloneKey(k)
	k.Version = 1
	m.keys[k.TenantID] = append(list, k)
	return nil
}

func (m *memStore) RewrapDataKey(ctx context.Context, tenantID, id, kekID string, wrapped []byte, version int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.keys[tenantID]
	i := slices.IndexFunc(list, func(k governance.DataKey) bool { return k.ID == id })
	if i < 0 {
		return notFound("data_key")
	}
	if m.bumpBeforeRewrap > 0 {
		m.bumpBeforeRewrap--
		list[i].Version++
	}
	if list[i].Version != version {
		return conflict("data_key")
	}
	list[i].KEKID = kekID
	list[i].Wrapped = bytes.Clone(wrapped)
	list[i].Version++
	m.rewraps++
	return nil
}

func (m *memStore) PutSecret(ctx context.Context, s governance.SealedSecret) (governance.SealedSecret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byName := m.secrets[s.TenantID]
	if byName == nil {
		byName = make(map[string]governance.SealedSecret)
		m.secrets[s.TenantID] = byName
	}
	old, exists := byName[s.Name]
	if s.Version > 0 && (!exists || old.Version != s.Version) {
		return governance.SealedSecret{}, conflict("secret")
	}
	s.Ciphertext = bytes.Clone(s.Ciphertext)
	s.Version = old.Version + 1
	byName[s.Name] = s
	out := s
	out.Ciphertext = bytes.Clone(s.Ciphertext)
	return out, nil
}

func (m *memStore) Secret(ctx context.Context, tenantID, name string) (governance.SealedSecret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[tenantID][name]
	if !ok {
		return governance.SealedSecret{}, notFound("secret")
	}
	s.Ciphertext = bytes.Clone(s.Ciphertext)
	return s, nil
}

func (m *memStore) DeleteSecret(ctx context.Context, tenantID, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.secrets[tenantID][name]; !ok {
		return notFound("secret")
	}
	delete(m.secrets[tenantID], name)
	return nil
}

func (m *memStore) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.secrets[tenantID]))
	for name := range m.secrets[tenantID] {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
