// Package apierr is the error vocabulary shared by the external API clients.
// A job does not care which API failed as much as how: it retries transient
// failures, waits out rate limits, stops on auth failures and records
// validation and not-found failures against the item. Class says which.
package apierr

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Class is how a failure should be handled.
type Class string

// Error classes.
const (
	ClassAuth       Class = "auth"       // credentials rejected: stop, an operator must act
	ClassRateLimit  Class = "rate_limit" // over the API's limit: wait, then try again
	ClassNotFound   Class = "not_found"  // the record does not exist on the remote side
	ClassValidation Class = "validation" // the remote side refused the input
	ClassTransient  Class = "transient"  // 5xx, timeouts, broken bodies: retry
	ClassCanceled   Class = "canceled"   // the caller's context ended
	ClassUnknown    Class = "unknown"
)

// Error is a failed API call. It never carries credentials: messages come from
// the remote side or from us, and requests are summarised without tokens.
type Error struct {
	API        string // "nhanh" or "shopify"
	Op         string // endpoint or operation name, e.g. "customer/list"
	Class      Class
	HTTPStatus int    // 0 when no response arrived
	Code       string // the API's error code, e.g. ERR_429, THROTTLED
	Message    string
	// RetryAfter is how long the API asked us to wait, when it said.
	RetryAfter time.Duration
	Err        error // underlying cause, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.API, e.Op, e.Class)
	if e.HTTPStatus != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf classifies any error: an *Error reports its class, a context error
// is ClassCanceled, anything else ClassUnknown.
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.Class
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassCanceled
	}
	return ClassUnknown
}

// Retryable reports whether trying the same call again may succeed.
func (c Class) Retryable() bool {
	return c == ClassTransient || c == ClassRateLimit
}
