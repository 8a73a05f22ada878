package shopify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"syncops/clients/apierr"
)

// Bulk operation statuses (BulkOperationStatus).
const (
	bulkCompleted = "COMPLETED"
	bulkFailed    = "FAILED"
	bulkCanceled  = "CANCELED"
	bulkExpired   = "EXPIRED"
)

// opBulkDownload names the JSONL download in errors.
const opBulkDownload = "bulkOperation/download"

// BulkCustomers exports every customer matching query (Shopify search
// syntax; empty for all) with a bulk operation and calls fn for each one, in
// the order of the result file. It returns fn's first error unchanged.
//
// A bulk export costs one mutation and a few polls instead of one request
// per 250 customers, and is not limited to 25,000 objects like paging is.
func (c *Client) BulkCustomers(ctx context.Context, query string, fn func(Customer) error) error {
	inner := fmt.Sprintf(bulkCustomersTemplate, queryArgument(query))
	return c.bulkExport(ctx, inner, func(line []byte) error {
		var n customerNode
		if err := json.Unmarshal(line, &n); err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected customer line", err)
		}
		cust, err := n.customer()
		if err != nil {
			return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected customer line", err)
		}
		return fn(cust)
	})
}

// BulkVariants exports every product variant matching query with a bulk
// operation and calls fn for each one. Product fields come inline on each
// variant line. It returns fn's first error unchanged.
func (c *Client) BulkVariants(ctx context.Context, query string, fn func(Variant) error) error {
	return c.BulkVariantsAt(ctx, query, nil, fn)
}

// queryArgument renders a search query as the (query: "...") argument of a
// bulk query, or nothing. A JSON string is a valid GraphQL string literal.
func queryArgument(query string) string {
	if query == "" {
		return ""
	}
	quoted, _ := json.Marshal(query) // a string always marshals
	return "(query: " + string(quoted) + ")"
}

// bulkOperation is the polled state of a bulk operation.
type bulkOperation struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	ErrorCode      *string `json:"errorCode"`
	ObjectCount    string  `json:"objectCount"`
	URL            *string `json:"url"`
	PartialDataURL *string `json:"partialDataUrl"`
}

// bulkExport runs inner as a bulk query, waits for it on the clock and
// streams the result lines to each.
func (c *Client) bulkExport(ctx context.Context, inner string, each func(line []byte) error) error {
	id, err := c.startBulk(ctx, inner)
	if err != nil {
		return err
	}
	op, err := c.awaitBulk(ctx, id, nil)
	if err != nil {
		return err
	}
	if op.URL == nil || *op.URL == "" {
		return nil // Shopify gives no file when nothing matched
	}
	return c.downloadBulk(ctx, *op.URL, 0, func(_ int64, line []byte) error { return each(line) })
}

// pollBulk reads operation id once.
func (c *Client) pollBulk(ctx context.Context, id string) (bulkOperation, error) {
	var data struct {
		Node *bulkOperation `json:"node"`
	}
	if err := c.do(ctx, opBulkPoll, map[string]any{"id": id}, &data); err != nil {
		return bulkOperation{}, err
	}
	if data.Node == nil {
		return bulkOperation{}, c.newError(opBulkPoll.name, apierr.ClassNotFound, http.StatusOK, "", "bulk operation "+id+" not found", nil)
	}
	return *data.Node, nil
}

// bulkStartGrace bounds a request that starts a bulk operation once its
// caller has ended (see startContext).
const bulkStartGrace = 20 * time.Second

// startContext is the context a request that starts a bulk operation runs
// in: the caller's values without its end, for at most bulkStartGrace. An
// operation Shopify started runs whether or not its id arrives; a caller
// whose time ran out during the request (a job attempt) would not record
// it, and its next try would wait for it to end (Shopify runs one of each
// type per shop) and start a second. A caller already ended starts nothing.
func startContext(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bulkStartGrace)
	return sctx, cancel, nil
}

func (c *Client) startBulk(ctx context.Context, inner string) (string, error) {
	ctx, cancel, err := startContext(ctx)
	if err != nil {
		return "", err
	}
	defer cancel()
	var data struct {
		BulkOperationRunQuery *struct {
			BulkOperation *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"bulkOperation"`
			UserErrors []userError `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	if err := c.do(ctx, opBulkRun, map[string]any{"query": inner}, &data); err != nil {
		return "", err
	}
	payload := data.BulkOperationRunQuery
	if payload == nil {
		return "", c.newError(opBulkRun.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
	}
	if len(payload.UserErrors) > 0 {
		ue := payload.UserErrors[0]
		class := apierr.ClassValidation
		if strings.Contains(strings.ToLower(ue.Message), "in progress") {
			// Too many bulk operations running: the same request succeeds
			// once one of them ends.
			class = apierr.ClassRateLimit
		}
		return "", c.newError(opBulkRun.name, class, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	}
	if payload.BulkOperation == nil || payload.BulkOperation.ID == "" {
		return "", c.newError(opBulkRun.name, apierr.ClassUnknown, http.StatusOK, "", "no bulk operation in reply", nil)
	}
	return payload.BulkOperation.ID, nil
}

// awaitBulk polls the operation until it ends: at once, then every
// BulkPollInterval on the clock.
func (c *Client) awaitBulk(ctx context.Context, id string, onPoll func(BulkOperation)) (bulkOperation, error) {
	for {
		op, err := c.pollBulk(ctx, id)
		if err != nil {
			return bulkOperation{}, err
		}
		if onPoll != nil {
			onPoll(op.public())
		}
		switch op.Status {
		case bulkCompleted:
			return op, nil
		case bulkFailed, bulkCanceled, bulkExpired:
			code := ""
			if op.ErrorCode != nil {
				code = *op.ErrorCode
			}
			class := apierr.ClassTransient
			switch code {
			case "ACCESS_DENIED":
				class = apierr.ClassAuth
			case "":
				class = apierr.ClassUnknown
			}
			return op, c.newError(opBulkPoll.name, class, http.StatusOK, code, "bulk operation "+id+" ended "+op.Status, nil)
		}
		if err := sleep(ctx, c.cfg.Clock, c.cfg.BulkPollInterval); err != nil {
			return bulkOperation{}, c.newError(opBulkPoll.name, apierr.ClassCanceled, 0, "", "", err)
		}
	}
}

// downloadBulk streams the JSONL result to each, line by line, after the
// first skip lines; each also gets the number of lines read up to and
// including its line, the position to resume after. A transfer that breaks
// is resumed by downloading again and skipping the lines already read, up
// to MaxAttempts times. The result URL is a signed link to storage outside
// the shop: the access token is never sent there.
func (c *Client) downloadBulk(ctx context.Context, url string, skip int64, each func(seen int64, line []byte) error) error {
	delivered := skip
	for attempt := 1; ; attempt++ {
		n, err := c.streamLines(ctx, url, delivered, each)
		delivered += n
		if err == nil {
			return nil
		}
		var fnErr callbackError
		if errors.As(err, &fnErr) {
			return fnErr.err
		}
		if ctx.Err() != nil {
			return c.newError(opBulkDownload, apierr.ClassCanceled, 0, "", "", ctx.Err())
		}
		if !apierr.ClassOf(err).Retryable() || c.retry.Exhausted(attempt) {
			return err
		}
		c.stats.retries.Add(1)
		if serr := c.retry.Wait(ctx, c.retry.Backoff(attempt)); serr != nil {
			return c.newError(opBulkDownload, apierr.ClassCanceled, 0, "", "", serr)
		}
	}
}

// callbackError carries the caller's own error out of streamLines.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// streamLines downloads url once, skips the first skip lines and hands the
// rest to each. It returns how many new lines it read.
func (c *Client) streamLines(ctx context.Context, url string, skip int64, each func(int64, []byte) error) (int64, error) {
	dlCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(dlCtx, http.MethodGet, url, nil)
	if err != nil {
		return 0, c.newError(opBulkDownload, apierr.ClassUnknown, 0, "", "bad result URL", err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, c.newError(opBulkDownload, apierr.ClassTransient, 0, "", "download failed", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return 0, c.newError(opBulkDownload, apierr.ClassTransient, resp.StatusCode, "", http.StatusText(resp.StatusCode), nil)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		// Result links expire after 7 days.
		return 0, c.newError(opBulkDownload, apierr.ClassNotFound, resp.StatusCode, "", "result file gone or expired", nil)
	case resp.StatusCode != http.StatusOK:
		return 0, c.newError(opBulkDownload, apierr.ClassUnknown, resp.StatusCode, "", http.StatusText(resp.StatusCode), nil)
	}
	body := newIdleReader(resp.Body, c.cfg.RequestTimeout, cancel)
	defer body.stop()
	r := bufio.NewReaderSize(body, 64<<10)
	seen, delivered := int64(0), int64(0)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && (err == nil || errors.Is(err, io.EOF)) {
			if err != nil && !json.Valid(bytes.TrimSpace(line)) {
				// The last line of a cut transfer: not data, a broken body.
				return delivered, c.newError(opBulkDownload, apierr.ClassTransient, resp.StatusCode, "", "truncated result line", nil)
			}
			seen++
			if seen > skip {
				if ok, lerr := deliverLine(line, func(l []byte) error { return each(seen, l) }); lerr != nil {
					return delivered, lerr
				} else if ok {
					delivered++
				}
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return delivered, nil
		default:
			return delivered, c.newError(opBulkDownload, apierr.ClassTransient, resp.StatusCode, "", "download broken", err)
		}
	}
}

// deliverLine hands one JSONL line to each. Blank lines and child lines
// (with __parentId; our queries have no nested connections, so there are
// none) are skipped but still count as seen.
func deliverLine(line []byte, each func([]byte) error) (bool, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || isChildLine(line) {
		return true, nil
	}
	if err := each(line); err != nil {
		return false, callbackError{err}
	}
	return true, nil
}

// isChildLine reports whether a JSONL line is a child object of another line.
func isChildLine(line []byte) bool {
	if !bytes.Contains(line, []byte(`"__parentId"`)) {
		return false
	}
	var probe struct {
		ParentID *string `json:"__parentId"`
	}
	return json.Unmarshal(line, &probe) == nil && probe.ParentID != nil
}

// idleReader cancels a download that delivers no bytes for too long. It runs
// on the real clock: it guards real network I/O.
type idleReader struct {
	r     io.Reader
	idle  time.Duration
	timer *time.Timer
}

func newIdleReader(r io.Reader, idle time.Duration, cancel context.CancelFunc) *idleReader {
	return &idleReader{r: r, idle: idle, timer: time.AfterFunc(idle, cancel)}
}

func (ir *idleReader) Read(p []byte) (int, error) {
	n, err := ir.r.Read(p)
	if n > 0 {
		ir.timer.Reset(ir.idle)
	}
	return n, err
}

func (ir *idleReader) stop() { ir.timer.Stop() }
