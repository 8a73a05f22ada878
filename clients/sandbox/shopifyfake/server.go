// Package shopifyfake is an in-process HTTP fake of the Shopify Admin
// GraphQL API, serving a dataset.Dataset. It parses the GraphQL documents it
// receives (with gqlparser) and answers the operations syncops uses in
// Shopify's wire shapes: customers and productVariants connections,
// locations, shop, metafieldsSet, inventorySetQuantities with @idempotent
// and changeFromQuantity, and bulk query operations whose JSONL result it
// serves itself. Every reply carries extensions.cost from a leaky bucket
// that works like Shopify's (scaled by Options.Scale); a request the bucket
// cannot pay is answered THROTTLED and recorded as a violation.
//
// Faults come from a seeded fault.Injector (Options.Faults) or are scripted
// by tests (Server.Script). The server records what was written, so tests
// assert the final state of the shop rather than the calls.
//
//	request ─> auth ─> fault? ─> parse ─> cost ─> bucket ─┬─> THROTTLED
//	                                                      └─> execute ─> reply + cost
package shopifyfake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vektah/gqlparser/v2/ast"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
)

// Defaults and Shopify's limits.
const (
	DefaultShop       = "syncops-sandbox.myshopify.com"
	DefaultAPIVersion = "2026-10"
	// BaseRestoreRate and BaseBucket are the Standard plan's figures
	// (points/s and points), multiplied by Options.Scale.
	BaseRestoreRate = 100
	BaseBucket      = 2000
	// MaxQueryCost is the single-query cost cap, whatever the plan.
	MaxQueryCost = 1000
	// MaxPageSize caps first/last; MaxInputArray caps any input list.
	MaxPageSize   = 250
	MaxInputArray = 250
	// MaxMetafieldsPerCall is metafieldsSet's own limit.
	MaxMetafieldsPerCall = 25
	// MaxConcurrentBulkQueries is the number of bulk queries that may run at
	// once (from API 2026-01).
	MaxConcurrentBulkQueries = 5
)

// Options configure a Server.
type Options struct {
	Shop        string // DefaultShop when empty
	AccessToken string // requests must carry it in X-Shopify-Access-Token; empty accepts any
	// APIVersion is the newest version served; a request for a later one
	// gets 404. DefaultAPIVersion when empty.
	APIVersion string
	// Scale multiplies the restore rate and the bucket (1 = Standard plan).
	Scale float64
	// InitialFill is the fraction of the bucket available at start, in
	// (0, 1]; 0 means full. Throughput tests start nearly empty so that the
	// restore rate, not the first burst, bounds them.
	InitialFill float64
	Faults      *fault.Injector // random faults; nil for none
	Clock       clockwork.Clock // real clock when nil
	// MaxQueryCost overrides the single-query cost cap (MaxQueryCost when
	// 0), so tests can make a full page too costly.
	MaxQueryCost float64
	// BulkDelay is how long (on Clock) a bulk operation runs before it
	// completes; 0 completes it at the first poll.
	BulkDelay time.Duration
	// PagingCap, when positive, ends the customers and productVariants
	// connections after that many objects without saying so, as the
	// 25,000-object cap Shopify introduced for the Storefront API would
	// (PagingCapStorefront). Whether Admin connections have such a cap is
	// unverified; bulk exports have none.
	PagingCap int
}

// PagingCapStorefront is the Storefront API's paging cap.
const PagingCapStorefront = 25000

// Server is the fake. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	opts  Options
	clock clockwork.Clock

	mu            sync.Mutex
	customers     []dataset.ShopifyCustomer
	variants      []dataset.ShopifyVariant
	locations     []dataset.ShopifyLocation
	customerByID  map[extid.ShopifyCustomerGID]int
	variantByID   map[extid.ShopifyVariantGID]int
	variantByItem map[extid.ShopifyInventoryItemGID]int
	locationByID  map[extid.ShopifyLocationGID]int

	bucket      bucket
	rec         Record
	idempotency map[string]idempotentResult
	bulkOps     []*bulkOperation
	script      []ScriptedFault
	groupSeq    int
	staged      map[string][]byte // staged uploads by key
	stagedSeq   int
	serverErrs  int
	setup       setupState // scopes, metafield definitions, inactive locations (setup.go)
}

// ScriptedFault is a fault a test queues for the next matching request.
type ScriptedFault struct {
	// Op is the top-level field the request must ask for (e.g.
	// "inventorySetQuantities"), "download" for a bulk result download, or
	// "" for any request.
	Op   string
	Kind fault.Kind
	// AfterApply serves a mutation normally (its writes happen) and then
	// fails the reply, as when a response is lost on the way back.
	AfterApply bool
}

// New returns a fake serving a copy of ds.
func New(ds *dataset.Dataset, opts Options) *Server {
	if opts.Shop == "" {
		opts.Shop = DefaultShop
	}
	if opts.APIVersion == "" {
		opts.APIVersion = DefaultAPIVersion
	}
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.InitialFill <= 0 || opts.InitialFill > 1 {
		opts.InitialFill = 1
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.MaxQueryCost <= 0 {
		opts.MaxQueryCost = MaxQueryCost
	}
	s := &Server{
		opts:          opts,
		clock:         opts.Clock,
		customerByID:  map[extid.ShopifyCustomerGID]int{},
		variantByID:   map[extid.ShopifyVariantGID]int{},
		variantByItem: map[extid.ShopifyInventoryItemGID]int{},
		locationByID:  map[extid.ShopifyLocationGID]int{},
		idempotency:   map[string]idempotentResult{},
		staged:        map[string][]byte{},
	}
	if ds != nil {
		s.copyDataset(ds)
	}
	maximum := BaseBucket * opts.Scale
	s.bucket = bucket{max: maximum, rate: BaseRestoreRate * opts.Scale, available: maximum * opts.InitialFill, at: s.clock.Now()}
	s.rec = Record{
		Operations:       map[string]int{},
		InjectedFaults:   map[fault.Kind]int{},
		InitialAvailable: s.bucket.available,
		MaximumAvailable: maximum,
		RestoreRate:      s.bucket.rate,
	}
	return s
}

// copyDataset takes a deep copy of the Shopify side of ds, so the fake can
// mutate it without touching the caller's.
func (s *Server) copyDataset(ds *dataset.Dataset) {
	for _, c := range ds.ShopifyCustomers {
		c.Metafields = cloneMap(c.Metafields)
		s.customerByID[c.ID] = len(s.customers)
		s.customers = append(s.customers, c)
	}
	for _, v := range ds.ShopifyVariants {
		v.Available = cloneMap(v.Available)
		v.NotStockedAt = slices.Clone(v.NotStockedAt)
		if v.Available == nil {
			v.Available = map[extid.ShopifyLocationGID]int64{}
		}
		s.variantByID[v.ID] = len(s.variants)
		s.variantByItem[v.InventoryItemID] = len(s.variants)
		s.variants = append(s.variants, v)
	}
	for _, l := range ds.ShopifyLocations {
		s.locationByID[l.ID] = len(s.locations)
		s.locations = append(s.locations, l)
	}
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Script queues faults; each is used once by the first request it matches,
// before any random fault is drawn.
func (s *Server) Script(faults ...ScriptedFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, faults...)
}

// takeScripted removes and returns the first queued fault matching op.
// The caller holds s.mu.
func (s *Server) takeScripted(op string) (ScriptedFault, bool) {
	for i, f := range s.script {
		if f.Op == "" || f.Op == op {
			s.script = append(s.script[:i:i], s.script[i+1:]...)
			return f, true
		}
	}
	return ScriptedFault{}, false
}

var (
	graphqlPath = regexp.MustCompile(`^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$`)
	bulkPath    = regexp.MustCompile(`^/bulk/(\d+)\.jsonl$`)
)

// ServeHTTP serves the GraphQL endpoint and bulk result files.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := bulkPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		s.serveBulkFile(w, r, m[1])
		return
	}
	if r.URL.Path == stagedPrefix && r.Method == http.MethodPost {
		s.serveStagedUpload(w, r)
		return
	}
	m := graphqlPath.FindStringSubmatch(r.URL.Path)
	if m == nil || (m[1] != "unstable" && m[1] > s.opts.APIVersion) {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	if tok := s.opts.AccessToken; tok != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Shopify-Access-Token")), []byte(tok)) != 1 {
		s.mu.Lock()
		s.rec.Requests++
		s.rec.AuthFailures++
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "could not read body"})
		return
	}
	version := m[1]
	if version == "unstable" {
		version = "9999-99"
	}
	status, reply, fail := s.handle(r, version, body)
	if fail.Kind != fault.None {
		s.writeFault(w, r, fail, reply)
		return
	}
	writeJSON(w, status, reply)
}

// writeFault answers with an injected fault instead of the reply.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f ScriptedFault, reply any) {
	switch f.Kind {
	case fault.Timeout:
		<-r.Context().Done()
	case fault.Malformed:
		full, _ := json.Marshal(reply)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(full[:len(full)/2])
	default: // fault.Server
		s.mu.Lock()
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		code := codes[s.serverErrs%len(codes)]
		s.serverErrs++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "<html><body><h1>"+http.StatusText(code)+"</h1></body></html>")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// baseURL is the scheme and host the request reached us on, for result
// links that point back at this server.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serveBulkFile serves the JSONL result of bulk operation n.
func (s *Server) serveBulkFile(w http.ResponseWriter, r *http.Request, n string) {
	s.mu.Lock()
	var file []byte
	found := false
	for _, op := range s.bulkOps {
		if op.number == n && op.status == "COMPLETED" {
			file, found = op.file, true
		}
	}
	f, scripted := s.takeScripted("download")
	if found {
		s.rec.BulkDownloads++
	}
	s.mu.Unlock()
	if !found {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	if scripted {
		switch f.Kind {
		case fault.Malformed:
			// Cut mid-line and close: a transfer that broke.
			w.Header().Set("Content-Length", itoa(len(file)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(file[:len(file)/2+1])
			return
		case fault.Timeout:
			<-r.Context().Done()
			return
		default:
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "application/jsonl")
	http.ServeContent(w, r, n+".jsonl", time.Time{}, bytes.NewReader(file))
}

// requestContext carries what one request's resolvers need.
type requestContext struct {
	version string
	base    string
	vars    map[string]any
	doc     *ast.QueryDocument
}

// versionAtLeast reports whether the request's API version is v or later.
func (rc *requestContext) versionAtLeast(v string) bool { return rc.version >= v }

func lower(s string) string { return strings.ToLower(s) }
