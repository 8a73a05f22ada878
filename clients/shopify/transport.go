package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"syncops/clients/apierr"
	"syncops/clients/retry"
)

// apiName is the API field of every *apierr.Error this package returns.
const apiName = "shopify"

// maxResponseBytes bounds one GraphQL reply read into memory. Pages of 250
// customers are well under 1 MB.
const maxResponseBytes = 32 << 20

// maxThrottleRetries bounds how often one call is re-sent after THROTTLED.
// The governor should make throttles rare; this only stops a loop against a
// shop whose bucket is drained by someone else forever.
const maxThrottleRetries = 25

// Shopify error codes the transport branches on.
const (
	codeThrottled       = "THROTTLED"
	codeAccessDenied    = "ACCESS_DENIED"
	codeMaxCostExceeded = "MAX_COST_EXCEEDED"
	codeInternalError   = "INTERNAL_SERVER_ERROR"
)

// operation is one GraphQL document the client sends.
type operation struct {
	// name is the top-level field, e.g. "customers"; it is the Op of errors
	// and the key under which the governor learns the real cost.
	name     string
	document string
	// cost is the requested cost to reserve before Shopify has told us:
	// connections cost 2 + first x the cost of a node, mutations 10 (see
	// metafieldsSetCost), objects 1.
	cost float64
	// costKey is the key under which the governor learns the requested
	// cost Shopify reports; name when empty. Operations whose cost depends
	// on the call (page size, owners) key it by the planned cost.
	costKey string
	// nodeCost, for a paged query, is the cost of one node of its
	// connection: 1 plus each object field selected on it. overhead is the
	// cost of the rest of the document. Page sizes come from them.
	nodeCost, overhead float64
}

// key is the governor's key for op's cost.
func (op operation) key() string {
	if op.costKey != "" {
		return op.costKey
	}
	return op.name
}

// withCost is op planned to cost cost, learned under its own key.
func (op operation) withCost(cost float64) operation {
	op.cost = cost
	op.costKey = fmt.Sprintf("%s/%g", op.name, cost)
	return op
}

// maxPage is the largest page of a paged op whose requested cost stays
// within MaxQueryCost: the connection's 2 and the overhead, then as many
// nodes as fit, at most PageSize.
func (op operation) maxPage() int64 {
	if op.nodeCost <= 0 {
		return PageSize
	}
	return max(1, min(PageSize, int64((MaxQueryCost-2-op.overhead)/op.nodeCost)))
}

// pageCost is the requested cost of a page of n nodes of op.
func (op operation) pageCost(n int64) float64 {
	if op.nodeCost <= 0 {
		return op.cost
	}
	return 2 + float64(n)*op.nodeCost + op.overhead
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// envelope is a GraphQL reply: data, errors and the cost extension.
type envelope struct {
	Data       json.RawMessage `json:"data"`
	Errors     gqlErrors       `json:"errors"`
	Extensions struct {
		Cost *queryCost `json:"cost"`
	} `json:"extensions"`
}

// queryCost is extensions.cost.
type queryCost struct {
	RequestedQueryCost float64      `json:"requestedQueryCost"`
	ActualQueryCost    *float64     `json:"actualQueryCost"`
	ThrottleStatus     bucketStatus `json:"throttleStatus"`
}

// gqlError is one entry of errors[].
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gqlErrors is errors[]. Shopify's non-GraphQL replies (401, 404 and some
// 4xx) carry "errors" as a plain string or as an object of messages instead
// of a list, so all three shapes are accepted.
type gqlErrors []gqlError

// UnmarshalJSON accepts a list of errors, a string or an object of strings.
func (e *gqlErrors) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*e = nil
		return nil
	case b[0] == '"':
		var msg string
		if err := json.Unmarshal(b, &msg); err != nil {
			return err
		}
		*e = gqlErrors{{Message: msg}}
		return nil
	case b[0] == '{':
		var byField map[string]json.RawMessage
		if err := json.Unmarshal(b, &byField); err != nil {
			return err
		}
		var out gqlErrors
		for field, raw := range byField {
			out = append(out, gqlError{Message: field + ": " + strings.Trim(string(raw), `"[]`)})
		}
		*e = out
		return nil
	}
	var list []gqlError
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*e = list
	return nil
}

// parseEnvelope decodes a GraphQL reply body.
func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope{}, fmt.Errorf("decode reply: %w", err)
	}
	return env, nil
}

// do sends op with vars and decodes data into out, retrying transient
// failures with backoff and throttles once the bucket has the points.
func (c *Client) do(ctx context.Context, op operation, vars map[string]any, out any) error {
	body, err := json.Marshal(gqlRequest{Query: op.document, Variables: vars})
	if err != nil {
		return c.newError(op.name, apierr.ClassValidation, 0, "", "encode request", err)
	}
	failures, throttles := 0, 0
	for {
		data, err := c.attempt(ctx, op, body)
		if err == nil {
			if out == nil {
				return nil
			}
			if derr := json.Unmarshal(data, out); derr != nil {
				return c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "unexpected data shape", derr)
			}
			return nil
		}
		var wait time.Duration
		switch err.Class {
		case apierr.ClassRateLimit:
			throttles++
			c.stats.throttles.Add(1)
			if throttles > maxThrottleRetries {
				return err
			}
			// With a known bucket the governor waits exactly what is needed
			// on the next acquire. A Retry-After is honoured on top of that;
			// with neither, back off.
			wait = err.RetryAfter
			if wait == 0 && !c.gov.isKnown() {
				wait = c.retry.Backoff(throttles)
			}
			c.log.Debug("shopify throttled", "op", op.name, "throttles", throttles)
		case apierr.ClassTransient:
			failures++
			if c.retry.Exhausted(failures) {
				return err
			}
			wait = c.retry.Delay(failures, err.RetryAfter)
			c.log.Warn("shopify transient failure, retrying", "op", op.name, "attempt", failures, "wait", wait, "err", err.Error())
		default:
			return err
		}
		c.stats.retries.Add(1)
		if wait > 0 {
			start := c.cfg.Clock.Now()
			serr := c.retry.Wait(ctx, wait)
			c.stats.addWait(c.cfg.Clock.Since(start))
			if serr != nil {
				return c.newError(op.name, apierr.ClassCanceled, 0, "", "", serr)
			}
		}
	}
}

// attempt is one paced round trip: reserve cost, send, settle, classify.
func (c *Client) attempt(ctx context.Context, op operation, body []byte) (json.RawMessage, *apierr.Error) {
	res, err := c.gov.acquire(ctx, c.gov.estimate(op.key(), op.cost))
	if err != nil {
		return nil, c.newError(op.name, apierr.ClassCanceled, 0, "", "", err)
	}
	c.stats.requests.Add(1)
	status, header, raw, sendErr := c.post(ctx, body)
	var env envelope
	var parseErr error
	if sendErr == nil {
		env, parseErr = parseEnvelope(raw)
	}
	var bucket *bucketStatus
	var requested float64
	if cost := env.Extensions.Cost; cost != nil {
		bucket, requested = &cost.ThrottleStatus, cost.RequestedQueryCost
	}
	c.gov.settle(res, op.key(), bucket, requested)

	if sendErr != nil {
		if ctx.Err() != nil {
			return nil, c.newError(op.name, apierr.ClassCanceled, 0, "", "", ctx.Err())
		}
		return nil, c.newError(op.name, apierr.ClassTransient, status, "", "request failed", sendErr)
	}
	if apiErr := c.classify(op.name, status, header, env, parseErr); apiErr != nil {
		if apiErr.Class == apierr.ClassRateLimit && bucket == nil {
			c.gov.drain()
		}
		return nil, apiErr
	}
	return env.Data, nil
}

// post sends one request and reads the whole reply. A body cut short is an
// error here, so it is retried like a dropped connection.
func (c *Client) post(ctx context.Context, body []byte) (int, http.Header, []byte, error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, c.cfg.endpoint(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("X-Shopify-Access-Token", c.cfg.AccessToken)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("read reply: %w", err)
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// classify turns a reply into nil (data is usable) or a typed error.
func (c *Client) classify(op string, status int, header http.Header, env envelope, parseErr error) *apierr.Error {
	code, msg := "", ""
	if len(env.Errors) > 0 {
		code = env.Errors[0].Extensions.Code
		msgs := make([]string, 0, len(env.Errors))
		for _, e := range env.Errors {
			msgs = append(msgs, e.Message)
		}
		msg = truncate(strings.Join(msgs, "; "), 500)
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return c.newError(op, apierr.ClassAuth, status, code, orText(msg, status), nil)
	case status == http.StatusTooManyRequests:
		e := c.newError(op, apierr.ClassRateLimit, status, orCode(code, codeThrottled), orText(msg, status), nil)
		e.RetryAfter = retry.ParseRetryAfter(header)
		return e
	case status >= 500:
		e := c.newError(op, apierr.ClassTransient, status, code, orText(msg, status), nil)
		e.RetryAfter = retry.ParseRetryAfter(header)
		return e
	case status == http.StatusPaymentRequired || status == http.StatusLocked:
		// The shop is frozen or locked: only its owner can fix that.
		return c.newError(op, apierr.ClassAuth, status, code, orText(msg, status), nil)
	case status == http.StatusNotFound:
		return c.newError(op, apierr.ClassNotFound, status, code, orText(msg, status), nil)
	case status >= 400:
		return c.newError(op, apierr.ClassValidation, status, code, orText(msg, status), nil)
	case status < 200 || status >= 300:
		return c.newError(op, apierr.ClassTransient, status, code, orText(msg, status), nil)
	case parseErr != nil:
		return c.newError(op, apierr.ClassTransient, status, "", "broken reply body", parseErr)
	}
	if len(env.Errors) > 0 {
		switch code {
		case codeThrottled:
			return c.newError(op, apierr.ClassRateLimit, status, code, msg, nil)
		case codeAccessDenied:
			return c.newError(op, apierr.ClassAuth, status, code, msg, nil)
		case codeInternalError, "SERVICE_UNAVAILABLE", "TIMEOUT":
			return c.newError(op, apierr.ClassTransient, status, code, msg, nil)
		default:
			// MAX_COST_EXCEEDED, bad arguments, unknown fields: resending the
			// same document cannot help.
			return c.newError(op, apierr.ClassValidation, status, code, msg, nil)
		}
	}
	if len(bytes.TrimSpace(env.Data)) == 0 || bytes.Equal(bytes.TrimSpace(env.Data), []byte("null")) {
		return c.newError(op, apierr.ClassTransient, status, "", "reply has no data and no errors", nil)
	}
	return nil
}

// newError builds an *apierr.Error, scrubbing the token from every message
// in case a remote side ever echoes it.
func (c *Client) newError(op string, class apierr.Class, status int, code, msg string, cause error) *apierr.Error {
	if cause != nil {
		if msg == "" {
			msg = cause.Error()
		} else if class != apierr.ClassCanceled {
			msg += ": " + cause.Error()
		}
	}
	var wrapped error
	if cause != nil {
		wrapped = scrubbedError{cause, c.scrub}
	}
	return &apierr.Error{
		API: apiName, Op: op, Class: class, HTTPStatus: status, Code: code,
		Message: c.scrub(msg), Err: wrapped,
	}
}

// scrub removes the access token from s.
func (c *Client) scrub(s string) string {
	if tok := c.cfg.AccessToken; tok != "" && strings.Contains(s, tok) {
		return strings.ReplaceAll(s, tok, "[redacted]")
	}
	return s
}

// scrubbedError wraps a cause so that errors.Is/As still see it while its
// text goes through scrub.
type scrubbedError struct {
	err   error
	scrub func(string) string
}

func (e scrubbedError) Error() string { return e.scrub(e.err.Error()) }

func (e scrubbedError) Unwrap() error { return e.err }

func orText(msg string, status int) string {
	if msg != "" {
		return msg
	}
	return http.StatusText(status)
}

func orCode(code, fallback string) string {
	if code != "" {
		return code
	}
	return fallback
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// hasCode reports whether err is an *apierr.Error with Shopify code code.
func hasErrorCode(err error, code string) bool {
	var e *apierr.Error
	return errors.As(err, &e) && e.Code == code
}
