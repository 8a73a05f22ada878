package nhanh

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/retry"
)

// apiName is the API field of every error this package returns.
const apiName = "nhanh"

// Nhanh error codes this client branches on.
const (
	codeRateLimit       = "ERR_429"
	codeRateLimitLegacy = "ERR_EXCEEDED_RATE_LIMIT"
)

// authHints maps Nhanh's credential and permission codes to what an operator
// should do about them; every one of them is ClassAuth.
var authHints = map[string]string{
	"ERR_INVALID_ACCESS_TOKEN":    "check SYNCOPS_NHANH_ACCESS_TOKEN; Nhanh tokens expire after one year and must be granted again",
	"ERR_INVALID_APP_ID":          "check SYNCOPS_NHANH_APP_ID",
	"ERR_INVALID_BUSINESS_ID":     "check SYNCOPS_NHANH_BUSINESS_ID",
	"ERR_INVALID_VERSION":         "the access token was granted for another API version; grant a v3 token",
	"ERR_403":                     "the grant lacks a permission this call needs; grant access again with it",
	"ERR_BUSINESS_NOT_ENABLE_API": "the business must turn on Open API connections in Nhanh",
}

// lockSanity bounds how far unlockedAt may lie beyond lockedSeconds before we
// believe our clock and the server's disagree and ignore it.
const lockSanity = time.Minute

// maxUnlockedAtAhead bounds a bare unlockedAt (without lockedSeconds).
const maxUnlockedAtAhead = 24 * time.Hour

// classify turns one HTTP exchange into its envelope, or into the error a
// caller (or the retry loop) acts on.
func (c *Client) classify(op string, status int, header http.Header, body []byte) (envelope, *apierr.Error) {
	env, perr := parseEnvelope(body)
	env.HTTPStatus = status
	fail := func(class apierr.Class, message string) *apierr.Error {
		e := &apierr.Error{API: apiName, Op: op, Class: class, HTTPStatus: status, Message: c.redact(message)}
		if perr == nil {
			e.Code = c.redact(env.ErrorCode)
		}
		return e
	}
	switch {
	case status >= http.StatusInternalServerError:
		msg := http.StatusText(status)
		if perr == nil && env.Message != "" {
			msg = env.Message
		}
		e := fail(apierr.ClassTransient, msg)
		e.RetryAfter = retry.ParseRetryAfter(header)
		return env, e
	case status == http.StatusTooManyRequests || (perr == nil && isRateLimit(env)):
		e := fail(apierr.ClassRateLimit, orDefault(env.Message, "rate limited"))
		e.RetryAfter = c.lockWait(env, header)
		return env, e
	case perr != nil:
		return env, c.classifyUnparsed(fail, status, perr)
	case env.Code == 1 && status >= 200 && status < 300:
		return env, nil
	}
	if hint, ok := authHints[env.ErrorCode]; ok || status == http.StatusUnauthorized || status == http.StatusForbidden {
		return env, fail(apierr.ClassAuth, joinMessage(orDefault(env.Message, http.StatusText(status)), hint))
	}
	if status == http.StatusNotFound || strings.Contains(env.ErrorCode, "NOT_FOUND") {
		return env, fail(apierr.ClassNotFound, orDefault(env.Message, "not found"))
	}
	// Any other refusal (ERR_INVALID_FORM_FIELDS, ERR_INVALID_DATA,
	// ERR_INVALID_DEPOT_ID, ...) will not change on a retry.
	return env, fail(apierr.ClassValidation, orDefault(env.Message, "request refused"))
}

// classifyUnparsed handles a reply whose body is not a Nhanh envelope.
func (c *Client) classifyUnparsed(fail func(apierr.Class, string) *apierr.Error, status int, perr error) *apierr.Error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(apierr.ClassAuth, http.StatusText(status))
	case status == http.StatusNotFound:
		return fail(apierr.ClassNotFound, "no such endpoint")
	case status >= 200 && status < 300:
		// A truncated or garbled body: the next try usually reads a whole one.
		e := fail(apierr.ClassTransient, "malformed reply: "+perr.Error())
		e.Err = perr
		return e
	case status >= 400:
		return fail(apierr.ClassValidation, http.StatusText(status))
	}
	return fail(apierr.ClassUnknown, "unexpected HTTP status")
}

func isRateLimit(env envelope) bool {
	if env.Code == 1 {
		return false
	}
	return env.ErrorCode == codeRateLimit || env.ErrorCode == codeRateLimitLegacy ||
		strings.Contains(strings.ToLower(env.Message), "rate limit")
}

// lockWait is how long an endpoint stays locked after a rate-limit reply.
// lockedSeconds is relative, so it is immune to clock skew and preferred;
// unlockedAt (absolute unix seconds on the server's clock) may lengthen it
// a little, to cover rounding. With neither, Retry-After, then a whole window.
func (c *Client) lockWait(env envelope, header http.Header) time.Duration {
	var data struct {
		LockedSeconds flexInt `json:"lockedSeconds"`
		UnlockedAt    flexInt `json:"unlockedAt"`
	}
	if len(env.Data) > 0 && env.Data[0] == '{' {
		// A malformed data member leaves the zero values: the fallbacks apply.
		_ = json.Unmarshal(env.Data, &data)
	}
	var untilUnlock time.Duration
	if at := int64(data.UnlockedAt); at > 0 {
		if at > 1e11 { // milliseconds, not seconds
			at = (at + 999) / 1000
		}
		untilUnlock = c.cfg.Clock.Until(time.Unix(at, 0))
	}
	if s := int64(data.LockedSeconds); s > 0 && s < int64(maxUnlockedAtAhead/time.Second) {
		wait := time.Duration(s) * time.Second
		if untilUnlock > wait && untilUnlock <= wait+lockSanity {
			wait = untilUnlock
		}
		return wait
	}
	if untilUnlock > 0 && untilUnlock <= maxUnlockedAtAhead {
		return untilUnlock
	}
	if s, err := strconv.Atoi(header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	// Unknown lock length: a whole window lets the server's count drain.
	return c.cfg.Window
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func joinMessage(msg, hint string) string {
	if hint == "" {
		return msg
	}
	return fmt.Sprintf("%s (%s)", msg, hint)
}
