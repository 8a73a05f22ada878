package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"syncops/clients/apierr"
	"syncops/clients/extid"
)

// The resumable bulk export: the caller starts an operation, keeps its id
// (in a job checkpoint), polls it to the end, perhaps from another attempt
// or process, and reads the result from a line position it also keeps.
//
//	StartCustomerExport ──id──> AwaitBulk ──COMPLETED, URL──> ReadCustomerExport(url, skip)
//	                               └── FAILED / CANCELED / EXPIRED: an error; start a new one
//
// CancelBulk stops an operation nobody will read any more.

// BulkOperation is a bulk operation's state as Shopify last reported it.
type BulkOperation struct {
	ID     string
	Status string // CREATED, RUNNING, CANCELING, COMPLETED, FAILED, CANCELED, EXPIRED
	// ErrorCode is set when the operation failed.
	ErrorCode string
	// ObjectCount is how many objects it has read so far.
	ObjectCount int64
	// URL is the JSONL result of a completed operation; empty when nothing
	// matched.
	URL string
}

// Running reports whether the operation has not ended yet.
func (op BulkOperation) Running() bool {
	switch op.Status {
	case bulkCompleted, bulkFailed, bulkCanceled, bulkExpired:
		return false
	}
	return true
}

func (op bulkOperation) public() BulkOperation {
	out := BulkOperation{ID: op.ID, Status: op.Status}
	if op.ErrorCode != nil {
		out.ErrorCode = *op.ErrorCode
	}
	if op.URL != nil {
		out.URL = *op.URL
	}
	out.ObjectCount, _ = strconv.ParseInt(op.ObjectCount, 10, 64)
	return out
}

// StartCustomerExport starts a bulk export of the customers matching query
// (empty for all) and returns the operation's id. Shopify runs a limited
// number of bulk queries per app and shop at once; past it the error is of
// class rate-limit.
func (c *Client) StartCustomerExport(ctx context.Context, query string) (string, error) {
	return c.startBulk(ctx, fmt.Sprintf(bulkCustomersTemplate, queryArgument(query)))
}

// StartVariantExport starts a bulk export of the variants matching query,
// with their levels at locations (nil: none), and returns the operation's id.
func (c *Client) StartVariantExport(ctx context.Context, query string, locations []extid.ShopifyLocationGID) (string, error) {
	locs, err := c.checkLocations(opBulkRun.name, locations)
	if err != nil {
		return "", err
	}
	if locations == nil {
		locs = nil
	}
	return c.startBulk(ctx, fmt.Sprintf(bulkVariantsTemplate, queryArgument(query), levelSelection(locs)))
}

// PollBulk reads the state of operation id once.
func (c *Client) PollBulk(ctx context.Context, id string) (BulkOperation, error) {
	op, err := c.pollBulk(ctx, id)
	return op.public(), err
}

// AwaitBulk polls operation id every BulkPollInterval until it ends and
// returns its final state; onPoll (may be nil) sees every state read. An
// operation that ended other than COMPLETED is an error (transient class
// unless Shopify's error code says otherwise), returned with its state.
func (c *Client) AwaitBulk(ctx context.Context, id string, onPoll func(BulkOperation)) (BulkOperation, error) {
	op, err := c.awaitBulk(ctx, id, onPoll)
	return op.public(), err
}

// CancelBulk asks Shopify to cancel operation id. An operation that has
// already ended is not an error: there is nothing left to stop.
func (c *Client) CancelBulk(ctx context.Context, id string) error {
	var data struct {
		BulkOperationCancel *struct {
			BulkOperation *struct {
				Status string `json:"status"`
			} `json:"bulkOperation"`
			UserErrors []userError `json:"userErrors"`
		} `json:"bulkOperationCancel"`
	}
	if err := c.do(ctx, opBulkCancel, map[string]any{"id": id}, &data); err != nil {
		return err
	}
	payload := data.BulkOperationCancel
	if payload == nil {
		return c.newError(opBulkCancel.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
	}
	if len(payload.UserErrors) > 0 {
		// Shopify refuses to cancel an operation that is no longer running;
		// read its state to tell that from a real refusal.
		op, err := c.PollBulk(ctx, id)
		if err == nil && !op.Running() {
			return nil
		}
		ue := payload.UserErrors[0]
		return c.newError(opBulkCancel.name, apierr.ClassValidation, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	}
	return nil
}

// ReadCustomerExport streams the customers of a completed export's result
// url after its first skip lines. fn gets each customer and the number of
// lines read up to and including it: pass that as skip to resume after it.
// It returns fn's first error unchanged.
func (c *Client) ReadCustomerExport(ctx context.Context, url string, skip int64, fn func(seen int64, cust Customer) error) error {
	return c.downloadBulk(ctx, url, skip, func(seen int64, line []byte) error {
		var n customerNode
		if err := json.Unmarshal(line, &n); err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected customer line", err)
		}
		cust, err := n.customer()
		if err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected customer line", err)
		}
		return fn(seen, cust)
	})
}

// ReadVariantExport is ReadCustomerExport for a variant export started
// with the same locations.
func (c *Client) ReadVariantExport(ctx context.Context, url string, skip int64, locations []extid.ShopifyLocationGID, fn func(seen int64, v Variant) error) error {
	locs, err := c.checkLocations(opBulkDownload, locations)
	if err != nil {
		return err
	}
	if locations == nil {
		locs = nil
	}
	return c.downloadBulk(ctx, url, skip, func(seen int64, line []byte) error {
		var n variantNode
		if err := json.Unmarshal(line, &n); err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant line", err)
		}
		v, err := variantWithLevels(n, locs)
		if err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected variant line", err)
		}
		return fn(seen, v)
	})
}

// Count is the answer of a count query. AtLeast says Shopify stopped
// counting at N (its count queries have a limit): there are N or more.
type Count struct {
	N       int64
	AtLeast bool
}

// CountCustomers counts the customers matching query (empty for all).
func (c *Client) CountCustomers(ctx context.Context, query string) (Count, error) {
	return c.count(ctx, opCustomersCount, "customersCount", query)
}

// CountVariants counts the product variants matching query. Shopify
// documents no search fields for productVariantsCount, so a filtered count
// may count every variant: a count too high only makes a pull choose the
// bulk export, which is always correct.
func (c *Client) CountVariants(ctx context.Context, query string) (Count, error) {
	return c.count(ctx, opVariantsCount, "productVariantsCount", query)
}

func (c *Client) count(ctx context.Context, op operation, field, query string) (Count, error) {
	vars := map[string]any{}
	if query != "" {
		vars["query"] = query
	}
	var data map[string]*struct {
		Count     int64  `json:"count"`
		Precision string `json:"precision"`
	}
	if err := c.do(ctx, op, vars, &data); err != nil {
		return Count{}, err
	}
	got := data[field]
	if got == nil {
		return Count{}, c.newError(op.name, apierr.ClassUnknown, http.StatusOK, "", "no count in reply", nil)
	}
	return Count{N: got.Count, AtLeast: got.Precision == "AT_LEAST"}, nil
}
