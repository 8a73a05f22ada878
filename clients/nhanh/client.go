// Package nhanh is a client for the Nhanh.vn Open API v3: customer and
// product listings, stock and depots, read-only as syncops needs them.
//
// Every call is a POST of {"filters", "paginator"} to
// {base}/v3.0/{module}/{action}?appId=..&businessId=.. with the raw access
// token in the Authorization header. Replies are {code, errorCode, messages,
// data, paginator{next}}; code 0 is a failure even with HTTP 200.
//
// The client owns all pacing for Nhanh: a rate governor per endpoint keeps
// within 150 requests per 30 s and waits out ERR_429 locks without calling
// during them (a call while locked extends the lock), transient failures are
// retried with backoff and jitter, and every failure is an *apierr.Error
// whose Class says what to do about it. The access token never appears in an
// error or a log line.
package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/retry"
)

// Endpoints this client calls; they name operations in errors and Stats.
const (
	EndpointCustomerList     = "customer/list"
	EndpointProductList      = "product/list"
	EndpointProductInventory = "product/inventory"
	EndpointBusinessDepot    = "business/depot"
)

// Nhanh's request limits.
const (
	// PageSize is the page size requested; Nhanh's maximum.
	PageSize = 100
	// MaxIDs is the most ids one filter may carry.
	MaxIDs = 100
	// CustomersByIDBatch is how many ids a caller hands CustomersByID at
	// once: enough that the ids left for the second and third customer
	// type fill their calls.
	CustomersByIDBatch = 10 * MaxIDs
)

const (
	// maxLockWaits bounds the rate-limit waits of one call, so a call that
	// keeps meeting locks (another process spending the same budget) ends.
	maxLockWaits = 10
	// maxReplyBytes bounds one reply body; a page of 100 rows is far smaller.
	maxReplyBytes  = 32 << 20
	apiVersionPath = "/v3.0/"
	redactedToken  = "[redacted]"
)

// Client calls the Nhanh.vn Open API v3. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  string // BaseURL without a trailing slash
	query string // appId and businessId, encoded
	gov   *rateGovernor
	retry retry.Policy

	requests  atomic.Int64
	throttles atomic.Int64
	retries   atomic.Int64
}

// New validates cfg, fills its defaults and returns a client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	q := url.Values{}
	q.Set("appId", cfg.AppID)
	q.Set("businessId", cfg.BusinessID)
	gov := newRateGovernor(cfg.Clock, cfg.WindowLimit, cfg.Window, cfg.WindowMargin, cfg.MaxLockWait)
	if cfg.Budget != nil {
		gov.share(cfg.Budget, cfg.AppID, cfg.BusinessID, cfg.RequestTimeout, cfg.Logger)
	}
	return &Client{
		cfg:   cfg,
		base:  strings.TrimRight(cfg.BaseURL, "/"),
		query: q.Encode(),
		gov:   gov,
		retry: retry.Policy{MaxAttempts: cfg.MaxAttempts, Base: cfg.BackoffBase, Max: cfg.BackoffMax, Clock: cfg.Clock},
	}, nil
}

// Stats is a snapshot of the client's traffic for metrics and the console.
type Stats struct {
	// Requests counts HTTP requests sent.
	Requests int64
	// Throttles counts rate-limit replies (ERR_429 and the like).
	Throttles int64
	// Retries counts re-sends after transient failures.
	Retries int64
	// WaitTime is the total time callers spent waiting in the rate governor.
	WaitTime time.Duration
	// Endpoints is the rate budget per endpoint, e.g. "customer/list".
	Endpoints map[string]EndpointBudget
}

// EndpointBudget is one endpoint's position in its rate window.
type EndpointBudget struct {
	// Used is the slots taken: requests in flight or in the current window.
	Used int
	// Limit is the most requests allowed per window.
	Limit int
	// WindowResetsIn is how long until the oldest request leaves the window
	// and frees its slot; zero when no finished request is in the window.
	WindowResetsIn time.Duration
	// LockedUntil is when Nhanh's ERR_429 lock ends; zero when not locked.
	LockedUntil time.Time
}

// Stats returns a snapshot of the client's counters and rate budgets.
func (c *Client) Stats() Stats {
	endpoints, waited := c.gov.snapshot()
	return Stats{
		Requests:  c.requests.Load(),
		Throttles: c.throttles.Load(),
		Retries:   c.retries.Load(),
		WaitTime:  waited,
		Endpoints: endpoints,
	}
}

// call sends one request body to op, pacing, waiting out locks and retrying
// transient failures, and returns the successful envelope.
func (c *Client) call(ctx context.Context, op string, body []byte) (envelope, error) {
	var failures, lockWaits int
	for {
		release, err := c.gov.acquire(ctx, op)
		if err != nil {
			return envelope{}, c.governorError(op, err)
		}
		env, callErr := c.send(ctx, op, body)
		release()
		if callErr == nil {
			return env, nil
		}
		switch callErr.Class {
		case apierr.ClassRateLimit:
			c.throttles.Add(1)
			lockWaits++
			// Lock first, so no caller sends while the lock lasts, even when
			// this one gives up.
			c.gov.lock(ctx, op, c.cfg.Clock.Now().Add(callErr.RetryAfter+c.cfg.WindowMargin))
			if lockWaits > maxLockWaits || callErr.RetryAfter > c.cfg.MaxLockWait {
				return envelope{}, callErr
			}
			c.cfg.Logger.WarnContext(ctx, "nhanh endpoint locked, waiting", "op", op,
				"code", callErr.Code, "wait", callErr.RetryAfter, "lock_waits", lockWaits)
		case apierr.ClassTransient:
			failures++
			if c.retry.Exhausted(failures) {
				return envelope{}, callErr
			}
			c.retries.Add(1)
			delay := c.retry.Delay(failures, callErr.RetryAfter)
			c.cfg.Logger.DebugContext(ctx, "nhanh call failed, retrying", "op", op,
				"attempt", failures, "delay", delay, "error", callErr.Error())
			if err := c.retry.Wait(ctx, delay); err != nil {
				return envelope{}, canceled(op, err)
			}
		default:
			return envelope{}, callErr
		}
	}
}

// send performs one HTTP exchange and classifies its outcome.
func (c *Client) send(ctx context.Context, op string, body []byte) (envelope, *apierr.Error) {
	// The request timeout is a network deadline on a real socket, so it runs
	// on wall time; the injected clock paces everything we decide ourselves.
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, c.base+apiVersionPath+op+"?"+c.query, bytes.NewReader(body))
	if err != nil {
		return envelope{}, &apierr.Error{API: apiName, Op: op, Class: apierr.ClassUnknown, Message: "build request", Err: err}
	}
	req.Header.Set("Authorization", c.cfg.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	c.requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return envelope{}, c.transportError(ctx, op, 0, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return envelope{}, c.transportError(ctx, op, resp.StatusCode, err)
	}
	return c.classify(op, resp.StatusCode, resp.Header, raw)
}

// transportError classifies a failure to get a whole reply: the caller's
// context ending is ClassCanceled, anything else (timeouts, resets) transient.
func (c *Client) transportError(ctx context.Context, op string, status int, err error) *apierr.Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		e := canceled(op, ctxErr)
		e.HTTPStatus = status
		return e
	}
	msg := "request failed"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("no reply within %s", c.cfg.RequestTimeout)
	}
	return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassTransient, HTTPStatus: status,
		Message: c.redact(msg + ": " + err.Error()), Err: err}
}

func (c *Client) governorError(op string, err error) *apierr.Error {
	var locked *lockedError
	if errors.As(err, &locked) {
		wait := c.cfg.Clock.Until(locked.until)
		return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassRateLimit, Code: codeRateLimit,
			Message: "endpoint locked by Nhanh until " + locked.until.UTC().Format(time.RFC3339), RetryAfter: wait, Err: err}
	}
	var shared *sharedBudgetError
	if errors.As(err, &shared) {
		return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassTransient, Message: shared.Error(), Err: err}
	}
	return canceled(op, err)
}

func canceled(op string, err error) *apierr.Error {
	return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassCanceled, Message: err.Error(), Err: err}
}

// redact removes the access token from text that may reach an error or log.
func (c *Client) redact(s string) string {
	if c.cfg.AccessToken == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.AccessToken, redactedToken)
}

// listBody builds {"filters":...,"paginator":{"size":100,"next":...}}. The
// next object is written byte for byte as received: encoding/json would
// compact and re-escape it, and Nhanh documents it as opaque.
func listBody(op string, filters any, next json.RawMessage) ([]byte, error) {
	f, err := json.Marshal(filters)
	if err != nil {
		return nil, &apierr.Error{API: apiName, Op: op, Class: apierr.ClassValidation, Message: "encode filters", Err: err}
	}
	var b bytes.Buffer
	b.WriteString(`{"filters":`)
	b.Write(f)
	fmt.Fprintf(&b, `,"paginator":{"size":%d`, PageSize)
	if !isEmptyJSON(next) {
		if !json.Valid(next) {
			return nil, validation(op, "paginator next is not valid JSON")
		}
		b.WriteString(`,"next":`)
		b.Write(next)
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// validation is a request refused before sending it.
func validation(op, message string) *apierr.Error {
	return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassValidation, Message: message}
}

// decodeError is a successful reply whose data has an unexpected shape. A
// retry would read the same data, so it is not transient.
func decodeError(op string, env envelope, err error) *apierr.Error {
	return &apierr.Error{API: apiName, Op: op, Class: apierr.ClassUnknown, HTTPStatus: env.HTTPStatus,
		Message: "unexpected data: " + err.Error(), Err: err}
}
