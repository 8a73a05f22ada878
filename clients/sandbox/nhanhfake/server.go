// Package nhanhfake is an in-process HTTP fake of the Nhanh.vn Open API v3
// read endpoints syncops uses: customer/list, product/list, product/inventory,
// business/depot and order/list.
//
// It is faithful where a client can get things wrong: the raw Authorization
// header and the appId/businessId query, the {code, errorCode, messages}
// envelope with messages as a string or a field map, opaque cursor paging
// whose next object must be echoed byte for byte, the 150-requests-per-30s
// sliding window per endpoint, and the ERR_429 lock that grows when a client
// calls while locked. Every limit violation is recorded so tests can assert
// that a client never broke the rules, and how close to the limit it ran.
//
// A request passes through these stages:
//
//	route (404/405) -> rate window and lock (ERR_429) -> injected fault
//	  -> credentials (auth errorCode) -> body and filters (validation) -> data
//
// The fake is read-only, as Nhanh is for syncops; SetCustomer, SetProduct and
// SetStock change the source world between runs. It also models a shop that
// keeps trading (orders.go): PlaceOrder, ReturnPart, DeleteOrder and Sell move
// stock and spend on the injected clock without moving any updatedAt, as
// Nhanh does, and order/list serves the orders in windows of at most 31 days.
// With a target set (SetWebhookTarget) it delivers Nhanh's v3 webhooks for
// every stock and order change it makes (webhooks.go).
package nhanhfake

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/extid"
	"syncops/clients/sandbox/dataset"
	"syncops/clients/sandbox/fault"
)

// Defaults and fixed limits of the fake, mirroring Nhanh's documented numbers.
const (
	// Limit is how many requests an endpoint accepts in one window.
	Limit = 150
	// BaseWindow is Nhanh's rate window before scaling.
	BaseWindow = 30 * time.Second
	// DefaultScale runs the fake at real-world speed.
	DefaultScale = 1.0
	// DefaultLockSeconds is how long an ERR_429 lock lasts before scaling.
	DefaultLockSeconds = 30
	// DefaultPageSize is the page size used when a request names none, and
	// the most rows one page returns.
	DefaultPageSize = 100
	// MaxIDs is the most ids one filter may carry.
	MaxIDs = 100
)

// Endpoint names, as they appear after /v3.0/ in the URL and in Record.
const (
	EndpointCustomerList     = "customer/list"
	EndpointProductList      = "product/list"
	EndpointProductInventory = "product/inventory"
	EndpointBusinessDepot    = "business/depot"
	EndpointOrderList        = "order/list"
)

const pathPrefix = "/v3.0/"

// Options configures a Server. Zero values take the defaults above; a nil
// Faults injects nothing and a nil Clock is the real clock.
type Options struct {
	AppID       string
	BusinessID  string
	AccessToken string
	// SecretKey is the app's secret, checked by the app/ endpoints.
	SecretKey string
	// Scale speeds the fake's clock-based limits up: the window is
	// BaseWindow/Scale and a lock lasts LockSeconds/Scale, while the limit
	// stays at 150. Scale 20 makes the window 1.5 s.
	Scale float64
	// LockSeconds is the length of an ERR_429 lock in real-world seconds.
	LockSeconds int
	Faults      *fault.Injector
	Clock       clockwork.Clock
	// PageSize caps the rows of one page (at most 100, Nhanh's cap).
	PageSize int
	// OmittedTypeMeansRetail makes customer/list without a type filter
	// return retail customers only, the pessimistic reading of Nhanh's
	// undocumented default; a complete pull must ask for every type.
	OmittedTypeMeansRetail bool
	// OmittedStatusMeansActive makes product/list and product/inventory
	// without a status filter return active products only.
	OmittedStatusMeansActive bool
}

func (o Options) withDefaults() Options {
	if o.Scale <= 0 {
		o.Scale = DefaultScale
	}
	if o.LockSeconds <= 0 {
		o.LockSeconds = DefaultLockSeconds
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.PageSize <= 0 || o.PageSize > DefaultPageSize {
		o.PageSize = DefaultPageSize
	}
	return o
}

// Server is the fake Nhanh API. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	opts   Options
	window time.Duration
	lock   time.Duration

	mu        sync.Mutex
	customers map[extid.NhanhCustomerID]dataset.NhanhCustomer
	products  map[extid.NhanhProductID]dataset.NhanhProduct
	// customerIDs and productIDs are the maps' keys in order, so a page
	// starts at its cursor instead of sorting every row.
	customerIDs []extid.NhanhCustomerID
	productIDs  []extid.NhanhProductID
	depots      []dataset.NhanhDepot
	orders      map[extid.NhanhOrderID]dataset.NhanhOrder
	nextOrder   extid.NhanhOrderID
	limits      map[string]*endpointLimit
	record      recorder
	scripted    []fault.Kind
	app         appState // grants and access codes (app.go)

	closed    chan struct{}
	closeOnce sync.Once

	// webhooks delivers the fake's webhooks once a target is set (webhooks.go).
	webhooks  *webhooks
	hooksOnce sync.Once

	// serverErrors alternates injected 5xx replies between 502 and 503.
	serverErrors atomic.Int64
}

// New returns a fake serving a private copy of ds (nil serves an empty world).
func New(ds *dataset.Dataset, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:      opts,
		window:    time.Duration(float64(BaseWindow) / opts.Scale),
		lock:      time.Duration(float64(opts.LockSeconds) * float64(time.Second) / opts.Scale),
		customers: map[extid.NhanhCustomerID]dataset.NhanhCustomer{},
		products:  map[extid.NhanhProductID]dataset.NhanhProduct{},
		orders:    map[extid.NhanhOrderID]dataset.NhanhOrder{},
		nextOrder: firstOrderID,
		limits:    map[string]*endpointLimit{},
		closed:    make(chan struct{}),
	}
	if ds == nil {
		return s
	}
	for _, c := range ds.NhanhCustomers {
		s.customers[c.ID] = c
	}
	for _, p := range ds.NhanhProducts {
		s.products[p.ID] = cloneProduct(p)
	}
	s.customerIDs = slices.Sorted(maps.Keys(s.customers))
	s.productIDs = slices.Sorted(maps.Keys(s.products))
	for _, o := range ds.NhanhOrders {
		s.orders[o.ID] = cloneOrder(o)
		s.nextOrder = max(s.nextOrder, o.ID+1)
	}
	s.depots = slices.Clone(ds.NhanhDepots)
	slices.SortFunc(s.depots, func(a, b dataset.NhanhDepot) int { return cmpID(a.ID, b.ID) })
	return s
}

// Window is the scaled rate window the fake enforces.
func (s *Server) Window() time.Duration { return s.window }

// LockDuration is the scaled length of an ERR_429 lock.
func (s *Server) LockDuration() time.Duration { return s.lock }

// Close releases requests stalled by an injected timeout, so the HTTP server
// around the fake can shut down. The fake serves nothing useful afterwards.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// SetCustomer adds c or replaces the customer with the same id.
func (s *Server) SetCustomer(c dataset.NhanhCustomer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[c.ID]; !ok {
		s.customerIDs = insertSorted(s.customerIDs, c.ID)
	}
	s.customers[c.ID] = c
}

// SetProduct adds p or replaces the product with the same id.
func (s *Server) SetProduct(p dataset.NhanhProduct) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[p.ID]; !ok {
		s.productIDs = insertSorted(s.productIDs, p.ID)
	}
	s.products[p.ID] = cloneProduct(p)
}

// insertSorted adds id, not yet in ids, keeping ids sorted.
func insertSorted[ID ~int64](ids []ID, id ID) []ID {
	i, _ := slices.BinarySearch(ids, id)
	return slices.Insert(ids, i, id)
}

// SetStock sets the available stock of a product at one depot; zero removes
// the depot from the product's stock. Like Nhanh, it leaves the product's
// UpdatedAt alone (updatedAt ignores stock changes). It reports whether the
// product exists.
func (s *Server) SetStock(id extid.NhanhProductID, depot extid.NhanhDepotID, available int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return false
	}
	if available == 0 {
		delete(p.Available, depot)
	} else {
		p.Available[depot] = available
	}
	s.stockChanged(id)
	return true
}

// InjectNext scripts the faults of the next requests, in order, ahead of the
// random Faults injector. Tests use it to make exactly one request fail.
func (s *Server) InjectNext(kinds ...fault.Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, kinds...)
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveApp(w, r) {
		return
	}
	endpoint, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if !ok || !knownEndpoint(endpoint) {
		writeJSON(w, http.StatusNotFound, failure("ERR_NOT_FOUND", "Unknown API "+r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, failure("ERR_METHOD_NOT_ALLOWED", "Only POST is accepted"))
		return
	}
	if refusal, locked := s.admit(r, endpoint); locked {
		writeJSON(w, http.StatusOK, refusal)
		return
	}
	if s.serveFault(w, r, endpoint, s.nextFault()) {
		return
	}
	if env, ok := s.checkAuth(r); !ok {
		writeJSON(w, http.StatusOK, env)
		return
	}
	s.serveEndpoint(w, r, endpoint)
}

func knownEndpoint(e string) bool {
	switch e {
	case EndpointCustomerList, EndpointProductList, EndpointProductInventory, EndpointBusinessDepot, EndpointOrderList:
		return true
	}
	return false
}

func (s *Server) nextFault() fault.Kind {
	s.mu.Lock()
	if len(s.scripted) > 0 {
		k := s.scripted[0]
		s.scripted = s.scripted[1:]
		s.mu.Unlock()
		return k
	}
	s.mu.Unlock()
	return s.opts.Faults.Next()
}

// checkAuth checks the credentials the way Nhanh reports them: HTTP 200 with
// code 0, an errorCode and a messages string. The token is never echoed.
func (s *Server) checkAuth(r *http.Request) (envelope, bool) {
	q := r.URL.Query()
	switch {
	case q.Get("appId") != s.opts.AppID:
		return failure("ERR_INVALID_APP_ID", "appId is invalid"), false
	case q.Get("businessId") != s.opts.BusinessID:
		return failure("ERR_INVALID_BUSINESS_ID", "businessId is invalid"), false
	case !s.tokenValid(r.Header.Get("Authorization")):
		return failure("ERR_INVALID_ACCESS_TOKEN", "accessToken is invalid or expired"), false
	}
	return envelope{}, true
}

func cloneProduct(p dataset.NhanhProduct) dataset.NhanhProduct {
	out := p
	out.Available = make(map[extid.NhanhDepotID]int64, len(p.Available))
	for d, n := range p.Available {
		out.Available[d] = n
	}
	out.Combos = slices.Clone(p.Combos)
	return out
}

func cmpID[T ~int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
