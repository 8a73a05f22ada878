package nhanh_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/clients/apierr"
	"syncops/clients/nhanh"
	"syncops/clients/sandbox/fault"
	"syncops/clients/sandbox/nhanhfake"
)

func TestReplyClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		body       string
		class      apierr.Class
		code       string
		message    string
		retryAfter time.Duration
		header     string // Retry-After
	}{
		{name: "messages string", status: 200, class: apierr.ClassValidation, code: "ERR_INVALID_DATA",
			body: `{"code":0,"errorCode":"ERR_INVALID_DATA","messages":"Dữ liệu không hợp lệ"}`, message: "Dữ liệu không hợp lệ"},
		{name: "messages map", status: 200, class: apierr.ClassValidation, code: "ERR_INVALID_FORM_FIELDS",
			body:    `{"code":0,"errorCode":"ERR_INVALID_FORM_FIELDS","messages":{"paginator.size":"size must not be greater than 100","filters.ids":"too many"}}`,
			message: "filters.ids: too many; paginator.size: size must not be greater than 100"},
		{name: "messages array", status: 200, class: apierr.ClassValidation,
			body: `{"code":0,"messages":["first","second"]}`, message: "first; second"},
		{name: "permission", status: 200, class: apierr.ClassAuth, code: "ERR_403",
			body: `{"code":0,"errorCode":"ERR_403","messages":"Forbidden"}`, message: "Forbidden (the grant lacks a permission"},
		{name: "api not enabled", status: 200, class: apierr.ClassAuth, code: "ERR_BUSINESS_NOT_ENABLE_API",
			body: `{"code":0,"errorCode":"ERR_BUSINESS_NOT_ENABLE_API","messages":"x"}`, message: "turn on Open API"},
		{name: "HTTP 401 HTML", status: 401, class: apierr.ClassAuth, body: `<html>no</html>`, message: "Unauthorized"},
		{name: "HTTP 404", status: 404, class: apierr.ClassNotFound, body: `not here`},
		{name: "ERR_429 singular message, HTTP 429", status: 429, class: apierr.ClassRateLimit, code: "ERR_429",
			body:    `{"code":0,"errorCode":"ERR_429","message":"Your app exceeded the API Rate Limit","data":{"lockedSeconds":10}}`,
			message: "Your app exceeded the API Rate Limit", retryAfter: 10 * time.Second},
		{name: "legacy rate code", status: 200, class: apierr.ClassRateLimit, code: "ERR_EXCEEDED_RATE_LIMIT",
			body: `{"code":0,"errorCode":"ERR_EXCEEDED_RATE_LIMIT"}`, retryAfter: nhanh.DefaultWindow},
		{name: "rate limit text only", status: 200, class: apierr.ClassRateLimit,
			body: `{"code":0,"messages":"API rate limit reached"}`, retryAfter: nhanh.DefaultWindow},
		{name: "bare 429 with Retry-After", status: 429, class: apierr.ClassRateLimit, body: ``, header: "7", retryAfter: 7 * time.Second},
		{name: "code 1 data of wrong shape", status: 200, class: apierr.ClassUnknown, body: `{"code":1,"data":{"id":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, log := stub(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				_, _ = fmt.Fprint(w, tt.body)
			}, func(c *nhanh.Config) {
				c.MaxAttempts = 1
				c.MaxLockWait = time.Nanosecond // report rate limits instead of waiting them out
			})
			_, err := client.Depots(t.Context())
			var apiErr *apierr.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.class, apiErr.Class, err.Error())
			require.Equal(t, tt.status, apiErr.HTTPStatus)
			require.Equal(t, tt.code, apiErr.Code)
			require.Contains(t, apiErr.Message, tt.message)
			require.Equal(t, tt.retryAfter, apiErr.RetryAfter)
			require.Len(t, log.all(), 1)
		})
	}
}

func TestTokenIsRedactedFromEchoedMessages(t *testing.T) {
	t.Parallel()
	client, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"code":0,"errorCode":"ERR_INVALID_ACCESS_TOKEN","messages":"token %s is expired"}`, r.Header.Get("Authorization"))
	}, nil)
	_, err := client.Depots(t.Context())
	require.Error(t, err)
	require.NotContains(t, err.Error(), secretToken)
	require.Contains(t, err.Error(), "token [redacted] is expired")
}

func TestTransientFailuresAreRetriedExactlyMaxAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind        fault.Kind
		maxAttempts int
		status      int
	}{
		{kind: fault.Server, maxAttempts: 0}, // 0: the default, 5
		{kind: fault.Server, maxAttempts: 3},
		{kind: fault.Malformed, maxAttempts: 2, status: http.StatusOK},
		{kind: fault.Timeout, maxAttempts: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.kind, tt.maxAttempts), func(t *testing.T) {
			t.Parallel()
			inj := fault.NewInjector(fault.Spec{Seed: 1, Rates: map[fault.Kind]float64{tt.kind: 1}})
			b := setup(t, options{fake: nhanhfake.Options{Faults: inj}, cfg: func(c *nhanh.Config) {
				c.MaxAttempts = tt.maxAttempts
				c.RequestTimeout = 100 * time.Millisecond
			}})
			_, err := b.client.Depots(t.Context())
			var apiErr *apierr.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, apierr.ClassTransient, apiErr.Class, err.Error())
			want := tt.maxAttempts
			if want == 0 {
				want = nhanh.DefaultMaxAttempts
			}
			require.Equal(t, want, b.fake.Record().Requests(nhanh.EndpointBusinessDepot), "exactly MaxAttempts requests")
			require.Equal(t, int64(want-1), b.client.Stats().Retries)
			if tt.kind == fault.Server {
				require.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable}, apiErr.HTTPStatus)
				require.NotContains(t, err.Error(), "<html>")
			}
		})
	}
}

func TestRecoversFromTransientFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, options{ds: manyCustomers(3), cfg: func(c *nhanh.Config) { c.RequestTimeout = 100 * time.Millisecond }})
	b.fake.InjectNext(fault.Server, fault.Malformed, fault.Timeout)
	page, err := b.client.ListCustomers(t.Context(), nhanh.CustomerFilter{}, nil)
	require.NoError(t, err)
	require.Len(t, page.Customers, 3)
	require.Equal(t, int64(3), b.client.Stats().Retries)
	require.Equal(t, 4, b.fake.Record().Requests(nhanh.EndpointCustomerList))
}

// callAsync runs fn in the background and delivers its error.
func callAsync(fn func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	return done
}

func TestWaitsOutLockWithoutCallingDuringIt(t *testing.T) {
	t.Parallel()
	for _, kind := range []fault.Kind{fault.Lock, fault.Throttle} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{ds: manyCustomers(2), fakeClock: true})
			b.fake.InjectNext(kind)
			done := callAsync(func() error {
				_, err := b.client.ListCustomers(context.Background(), nhanh.CustomerFilter{}, nil)
				return err
			})
			require.NoError(t, b.clock.BlockUntilContext(t.Context(), 1), "the client waits on the lock")
			stats := b.client.Stats()
			require.Equal(t, int64(1), stats.Throttles)
			lockedUntil := stats.Endpoints[nhanh.EndpointCustomerList].LockedUntil
			require.GreaterOrEqual(t, lockedUntil.Sub(b.clock.Now()), b.fake.LockDuration())

			// Just before the lock ends the client is still waiting.
			b.clock.Advance(lockedUntil.Sub(b.clock.Now()) - time.Millisecond)
			require.NoError(t, b.clock.BlockUntilContext(t.Context(), 1))
			require.Equal(t, 1, b.fake.Record().Requests(nhanh.EndpointCustomerList))

			b.clock.Advance(time.Millisecond)
			require.NoError(t, awaitResult(t, done))
			rec := b.fake.Record()
			require.Zero(t, rec.CallsWhileLocked)
			require.Empty(t, rec.Violations)
			require.Equal(t, 2, rec.Requests(nhanh.EndpointCustomerList))
		})
	}
}

func TestOverLimitLockFromMisconfiguredLimitIsWaitedOut(t *testing.T) {
	t.Parallel()
	// A client that believes it has 200 requests per window meets the real
	// 150: it is locked once, waits, and never calls during the lock.
	b := setup(t, options{fakeClock: true, cfg: func(c *nhanh.Config) { c.WindowLimit = 200 }})
	done := callAsync(func() error {
		for range nhanhfake.Limit + 1 {
			if _, err := b.client.Depots(context.Background()); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, b.clock.BlockUntilContext(t.Context(), 1))
	b.clock.Advance(b.fake.LockDuration() + nhanh.DefaultWindow)
	require.NoError(t, awaitResult(t, done))
	rec := b.fake.Record()
	require.Len(t, rec.Violations, 1)
	require.Equal(t, nhanhfake.KindOverLimit, rec.Violations[0].Kind)
	require.Zero(t, rec.CallsWhileLocked)
	require.Equal(t, nhanhfake.Limit+2, rec.Requests(nhanh.EndpointBusinessDepot))
}

func TestLockWaitsAreBounded(t *testing.T) {
	t.Parallel()
	inj := fault.NewInjector(fault.Spec{Seed: 1, Rates: map[fault.Kind]float64{fault.Lock: 1}})
	b := setup(t, options{fakeClock: true, fake: nhanhfake.Options{Faults: inj}})
	done := callAsync(func() error {
		_, err := b.client.Depots(context.Background())
		return err
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Let each lock run out as soon as the client waits on it.
		for b.clock.BlockUntilContext(ctx, 1) == nil {
			b.clock.Advance(time.Minute)
		}
	}()
	err := awaitResult(t, done)
	cancel()
	require.Equal(t, apierr.ClassRateLimit, apierr.ClassOf(err))
	rec := b.fake.Record()
	require.Equal(t, 11, rec.Requests(nhanh.EndpointBusinessDepot), "the first try and 10 lock waits")
	require.Zero(t, rec.CallsWhileLocked)
	require.Equal(t, int64(11), b.client.Stats().Throttles)
}

func TestLongLockIsReturnedWithRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, options{fakeClock: true, fake: nhanhfake.Options{LockSeconds: 600}})
	b.fake.InjectNext(fault.Lock)
	_, err := b.client.Depots(t.Context())
	var apiErr *apierr.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, apierr.ClassRateLimit, apiErr.Class)
	require.Equal(t, "ERR_429", apiErr.Code)
	// lockedSeconds, lengthened to unlockedAt (rounded up to a whole second).
	require.GreaterOrEqual(t, apiErr.RetryAfter, 600*time.Second)
	require.Less(t, apiErr.RetryAfter, 601*time.Second)

	// The next caller is refused without a request: calling would extend the lock.
	_, err = b.client.Depots(t.Context())
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, apierr.ClassRateLimit, apiErr.Class)
	require.GreaterOrEqual(t, apiErr.RetryAfter, 600*time.Second)
	require.Less(t, apiErr.RetryAfter, 600*time.Second+time.Second+nhanh.DefaultWindow/nhanh.DefaultWindowMarginDivisor)
	require.Equal(t, 1, b.fake.Record().Requests(nhanh.EndpointBusinessDepot))
	require.Zero(t, b.fake.Record().CallsWhileLocked)
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, b *bundle)
	}{
		{name: "while waiting in the governor", prepare: func(t *testing.T, b *bundle) {
			for range 2 { // the client's whole budget of 2
				_, err := b.client.Depots(t.Context())
				require.NoError(t, err)
			}
		}},
		{name: "while locked", prepare: func(_ *testing.T, b *bundle) { b.fake.InjectNext(fault.Lock) }},
		{name: "while backing off after a 5xx", prepare: func(_ *testing.T, b *bundle) { b.fake.InjectNext(fault.Server) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{fakeClock: true, cfg: func(c *nhanh.Config) { c.WindowLimit = 2 }})
			tt.prepare(t, b)
			before := b.fake.Record().Requests(nhanh.EndpointBusinessDepot)
			ctx, cancel := context.WithCancel(t.Context())
			done := callAsync(func() error {
				_, err := b.client.Depots(ctx)
				return err
			})
			require.NoError(t, b.clock.BlockUntilContext(t.Context(), 1))
			cancel()
			err := awaitResult(t, done)
			require.Equal(t, apierr.ClassCanceled, apierr.ClassOf(err))
			require.True(t, errors.Is(err, context.Canceled))
			require.True(t, strings.HasPrefix(err.Error(), "nhanh business/depot: canceled"), err.Error())
			after := b.fake.Record().Requests(nhanh.EndpointBusinessDepot)
			require.LessOrEqual(t, after-before, 1, "at most the request that met the lock")
			require.Zero(t, b.fake.Record().CallsWhileLocked)
		})
	}
}

// TestTransientFailureHonoursRetryAfter: a 503 that names its wait is not
// retried sooner, even when the backoff would be shorter.
func TestTransientFailureHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	var calls atomic.Int32
	client, log := stub(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"code":1,"data":[]}`))
	}, func(c *nhanh.Config) {
		c.Clock = clock
		c.BackoffMax = time.Minute // the backoff itself stays near 1 ms
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := callAsync(func() error {
		_, err := client.Depots(ctx)
		return err
	})
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(20*time.Second - time.Millisecond)
	require.NoError(t, clock.BlockUntilContext(ctx, 1), "still waiting just before the server's time")
	require.Len(t, log.all(), 1, "retried before the server's time")
	clock.Advance(time.Millisecond)
	require.NoError(t, awaitResult(t, done))
	require.Len(t, log.all(), 2)
	require.Equal(t, int64(1), client.Stats().Retries)
}
