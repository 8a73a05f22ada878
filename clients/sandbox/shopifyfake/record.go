package shopifyfake

import (
	"maps"
	"slices"
	"time"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
)

// Record is what the fake saw and did, for tests and benchmarks.
type Record struct {
	Requests int // GraphQL requests, including refused ones
	// AuthFailures counts requests refused for a missing or wrong token.
	AuthFailures int
	// Throttles counts requests answered THROTTLED because the bucket could
	// not pay them: the client's violations. Injected throttles are not
	// counted here but in InjectedFaults.
	Throttles      int
	InjectedFaults map[fault.Kind]int
	// Operations counts requests per top-level field (customers,
	// metafieldsSet, ...).
	Operations map[string]int
	// Mutations counts mutation requests, including refused ones: a
	// preview must send none.
	Mutations int
	// Points is the actual cost charged to the bucket, in points.
	Points float64
	// FirstRequest and LastRequest are when (on the fake's clock) the first
	// and the latest GraphQL requests arrived.
	FirstRequest, LastRequest time.Time
	// InitialAvailable is the bucket's level when the first request
	// arrived; MaximumAvailable and RestoreRate are its shape.
	InitialAvailable, MaximumAvailable, RestoreRate float64
	// MetafieldWrites and InventoryWrites are the applied writes, in order.
	MetafieldWrites []MetafieldWrite
	InventoryWrites []InventoryWrite
	// IdempotencyKeys lists the key of every inventorySetQuantities request,
	// in order of arrival, replays included.
	IdempotencyKeys []string
	// IdempotentReplays counts requests answered from a stored result.
	IdempotentReplays int
	// UntrackedWrites are the applied inventory writes to items Shopify
	// does not track. Shopify documents no error for them, so the fake
	// accepts them like Shopify appears to; a sync should not send them.
	UntrackedWrites []InventoryWrite
	// Activations are the inventoryActivate calls that stocked an item.
	Activations []Activation
}

// Activation is one inventory item stocked at a location by inventoryActivate.
type Activation struct {
	InventoryItemID extid.ShopifyInventoryItemGID
	LocationID      extid.ShopifyLocationGID
}

// MetafieldWrite is one metafield stored by metafieldsSet.
type MetafieldWrite struct {
	OwnerID   string
	Namespace string
	Key       string
	Type      string
	Value     string
}

// InventoryWrite is one available quantity set by inventorySetQuantities.
type InventoryWrite struct {
	InventoryItemID extid.ShopifyInventoryItemGID
	LocationID      extid.ShopifyLocationGID
	Previous        int64
	Quantity        int64
	IdempotencyKey  string
}

// SustainedPointsPerSecond is a lower bound on the rate at which requests
// drew on the restore rate: the points charged beyond the initial bucket,
// divided by the time from the first to the last request. A client running
// at the limit gets close to RestoreRate.
func (r Record) SustainedPointsPerSecond() float64 {
	window := r.LastRequest.Sub(r.FirstRequest).Seconds()
	if window <= 0 {
		return 0
	}
	return (r.Points - r.InitialAvailable) / window
}

// Record returns a copy of what the server has recorded so far.
func (s *Server) Record() Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec
	r.InjectedFaults = maps.Clone(s.rec.InjectedFaults)
	r.Operations = maps.Clone(s.rec.Operations)
	r.MetafieldWrites = slices.Clone(s.rec.MetafieldWrites)
	r.InventoryWrites = slices.Clone(s.rec.InventoryWrites)
	r.IdempotencyKeys = slices.Clone(s.rec.IdempotencyKeys)
	r.UntrackedWrites = slices.Clone(s.rec.UntrackedWrites)
	r.Activations = slices.Clone(s.rec.Activations)
	return r
}

// Customer returns the customer's current state.
func (s *Server) Customer(id extid.ShopifyCustomerGID) (dataset.ShopifyCustomer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.customerByID[id]
	if !ok {
		return dataset.ShopifyCustomer{}, false
	}
	c := s.customers[i]
	c.Metafields = maps.Clone(c.Metafields)
	return c, true
}

// Variant returns the variant's current state.
func (s *Server) Variant(id extid.ShopifyVariantGID) (dataset.ShopifyVariant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.variantByID[id]
	if !ok {
		return dataset.ShopifyVariant{}, false
	}
	v := s.variants[i]
	v.Available = maps.Clone(v.Available)
	v.NotStockedAt = slices.Clone(v.NotStockedAt)
	return v, true
}

// Metafield returns the metafield "namespace.key" stored on a customer.
func (s *Server) Metafield(owner extid.ShopifyCustomerGID, namespaceKey string) (dataset.Metafield, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.customerByID[owner]
	if !ok {
		return dataset.Metafield{}, false
	}
	m, ok := s.customers[i].Metafields[namespaceKey]
	return m, ok
}

// Available returns the available quantity of an inventory item at a
// location; false when the item is unknown.
func (s *Server) Available(item extid.ShopifyInventoryItemGID, location extid.ShopifyLocationGID) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.variantByItem[item]
	if !ok {
		return 0, false
	}
	return s.variants[i].Available[location], true
}

// BucketAvailable is the bucket's current level, restored up to now.
func (s *Server) BucketAvailable() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket.refill(s.clock.Now())
	return s.bucket.available
}
