package shopify

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"syncops/clients/apierr"
)

// ItemResult is the outcome of one input of a batch write, in input order.
type ItemResult struct {
	Index int   // position of the input in the caller's slice
	Err   error // nil when written; an *apierr.Error otherwise
}

// userError is one entry of a mutation payload's userErrors.
type userError struct {
	Field        []string `json:"field"`
	Message      string   `json:"message"`
	Code         string   `json:"code"`
	ElementIndex *int     `json:"elementIndex"`
}

// sendBatch is one call of an atomic batch mutation over items, the
// positions (in the caller's slice) of the inputs to send. It returns the
// payload's userErrors; an error is a failure of the call as a whole.
type sendBatch func(ctx context.Context, items []int) ([]userError, error)

// locateError finds which of the n sent inputs a userError is about:
// elementIndex when Shopify gives it, else the index in the field path
// (["metafields","3","value"], ["input","quantities","3","quantity"]).
type locateError func(ue userError, n int) (int, bool)

// writeAtomicBatches writes n inputs in calls of at most size. Each call is
// atomic on Shopify's side (one bad input fails all), so inputs named by a
// userError are marked failed and the rest are sent again until a call
// succeeds: a good input never fails because of a bad neighbour.
//
// Auth failures and cancellation stop everything and are returned; any
// other failure of a whole call is recorded on that call's inputs, the
// remaining calls go on, and the first such failure is returned.
func writeAtomicBatches(ctx context.Context, n, size int, send sendBatch, locate locateError, newErr func(userError) error) ([]ItemResult, error) {
	results := make([]ItemResult, n)
	for i := range results {
		results[i].Index = i
	}
	var firstErr error
	for start := 0; start < n; start += size {
		items := make([]int, 0, size)
		for i := start; i < min(start+size, n); i++ {
			items = append(items, i)
		}
		for len(items) > 0 {
			userErrs, err := send(ctx, items)
			if err != nil {
				for _, i := range items {
					results[i].Err = err
				}
				if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
					for i := start + size; i < n; i++ {
						results[i].Err = err
					}
					return results, err
				}
				if firstErr == nil {
					firstErr = err
				}
				break
			}
			if len(userErrs) == 0 {
				break // written
			}
			failed := map[int]bool{}
			for _, ue := range userErrs {
				pos, ok := locate(ue, len(items))
				if !ok {
					// A userError about the call itself: no input can be
					// isolated, so none is written.
					err := newErr(ue)
					for _, i := range items {
						results[i].Err = err
					}
					if firstErr == nil {
						firstErr = err
					}
					failed = nil
					break
				}
				results[items[pos]].Err = newErr(ue)
				failed[pos] = true
			}
			if failed == nil {
				break
			}
			kept := items[:0:0]
			for pos, i := range items {
				if !failed[pos] {
					kept = append(kept, i)
				}
			}
			items = kept
		}
	}
	return results, firstErr
}

// indexFromField reads the list index that follows listName in a userError
// field path.
func indexFromField(field []string, listName string, n int) (int, bool) {
	for k := 0; k+1 < len(field); k++ {
		if field[k] != listName {
			continue
		}
		i, err := strconv.Atoi(field[k+1])
		if err == nil && i >= 0 && i < n {
			return i, true
		}
	}
	return 0, false
}

// userErrorMessage is a userError's message with the input field it is
// about. The list index is left out of the path: it counts the inputs of
// the call that was sent, not the caller's (ItemResult.Index says that).
func userErrorMessage(ue userError) string {
	field := ue.Field
	for k := len(field) - 1; k >= 0; k-- {
		if _, err := strconv.Atoi(field[k]); err == nil {
			field = field[k+1:]
			break
		}
	}
	if len(field) == 0 {
		return ue.Message
	}
	return strings.Join(field, ".") + ": " + ue.Message
}

// errUserErrorsWithoutPayload reports a mutation reply without its payload.
var errUserErrorsWithoutPayload = errors.New("mutation reply has no payload")
