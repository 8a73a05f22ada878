package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"syncops/clients/apierr"
)

// Bulk mutations write many inputs with one operation that Shopify runs
// on its side, outside the cost bucket:
//
//	stagedUploadsCreate ──> POST the JSONL of variables (one input a line)
//	  ──> bulkOperationRunMutation ──id──> AwaitBulk ──> BulkMetafieldResults
//
// Like an export, the operation id can be kept (a job checkpoint) and the
// operation polled from another attempt or process. Each line carries one
// metafield, so line i's result is input i's.

// opBulkUpload names the staged upload in errors.
const opBulkUpload = "stagedUpload"

// bulkMetafieldsMutation is the mutation each line's variables run with.
const bulkMetafieldsMutation = `mutation BulkMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    userErrors { field message code elementIndex }
  }
}`

// bulkInventoryMutation is the mutation each line of a bulk inventory
// write runs with: one quantity and its own idempotency key a line.
const bulkInventoryMutation = `mutation BulkInventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field message code }
  }
}`

// StartBulkInventory uploads quantities as the variables of a bulk
// mutation of inventorySetQuantities, one quantity a line with its
// compare-and-set and an idempotency key derived like SetInventory's,
// starts it and returns its id.
func (c *Client) StartBulkInventory(ctx context.Context, quantities []InventoryQuantity, opts InventoryOptions) (string, error) {
	reason := opts.Reason
	if reason == "" {
		reason = DefaultInventoryReason
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, q := range quantities {
		input := inventorySetInput{Name: "available", Reason: reason, ReferenceDocumentURI: opts.ReferenceDocumentURI,
			Quantities: []inventoryQuantityVar{{InventoryItemID: string(q.InventoryItemID), LocationID: string(q.LocationID),
				Quantity: q.Quantity, ChangeFromQuantity: q.ChangeFromQuantity}}}
		key, err := idempotencyKey(opts.KeyPrefix, input)
		if err == nil {
			err = enc.Encode(map[string]any{"input": input, "key": key})
		}
		if err != nil {
			return "", c.newError(opBulkUpload, apierr.ClassValidation, 0, "", "encode bulk variables", err)
		}
	}
	path, err := c.stageUpload(ctx, body.Bytes())
	if err != nil {
		return "", err
	}
	return c.runBulkMutation(ctx, bulkInventoryMutation, path)
}

// BulkInventoryResults reads the result file of a completed bulk
// inventory mutation of n quantities: one result per quantity, in order.
func (c *Client) BulkInventoryResults(ctx context.Context, url string, n int) ([]ItemResult, error) {
	return c.bulkResults(ctx, url, n, opInventorySet.name)
}

// StartBulkMetafields uploads inputs as the variables of a bulk mutation
// of metafieldsSet, one metafield a line, starts it and returns its id.
// Shopify runs one bulk mutation per shop at a time: past that the error is
// of class rate-limit.
func (c *Client) StartBulkMetafields(ctx context.Context, inputs []MetafieldInput) (string, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, in := range inputs {
		if err := enc.Encode(map[string]any{"metafields": []metafieldsSetVar{metafieldsSetVar(in)}}); err != nil {
			return "", c.newError(opBulkUpload, apierr.ClassValidation, 0, "", "encode bulk variables", err)
		}
	}
	path, err := c.stageUpload(ctx, body.Bytes())
	if err != nil {
		return "", err
	}
	return c.runBulkMutation(ctx, bulkMetafieldsMutation, path)
}

// BulkMetafieldResults reads the result file of a completed bulk
// metafieldsSet mutation of n inputs: one result per input, in order. An
// input whose line has no result (the operation stopped early) fails with
// class unknown: whether it was written is not known.
func (c *Client) BulkMetafieldResults(ctx context.Context, url string, n int) ([]ItemResult, error) {
	return c.bulkResults(ctx, url, n, opMetafieldsSet.name)
}

// bulkResults reads the per-line results of a bulk mutation of field (one
// input a line) into one result per input.
func (c *Client) bulkResults(ctx context.Context, url string, n int, field string) ([]ItemResult, error) {
	results := make([]ItemResult, n)
	seen := make([]bool, n)
	if url != "" {
		err := c.downloadBulk(ctx, url, 0, func(_ int64, line []byte) error {
			var r struct {
				Data map[string]*struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"data"`
				Errors     gqlErrors `json:"errors"`
				LineNumber *int      `json:"__lineNumber"`
			}
			if err := json.Unmarshal(line, &r); err != nil || r.LineNumber == nil {
				return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "unexpected bulk mutation result line", err)
			}
			i := *r.LineNumber
			if i < 0 || i >= n {
				return c.newError(opBulkDownload, apierr.ClassUnknown, http.StatusOK, "", "result for line "+strconv.Itoa(i)+" of "+strconv.Itoa(n), nil)
			}
			seen[i] = true
			results[i].Index = i
			payload := r.Data[field]
			switch {
			case len(r.Errors) > 0:
				results[i].Err = c.newError(field, apierr.ClassValidation, http.StatusOK, r.Errors[0].Extensions.Code, r.Errors[0].Message, nil)
			case payload == nil:
				results[i].Err = c.newError(field, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
			case len(payload.UserErrors) > 0:
				ue := payload.UserErrors[0]
				results[i].Err = c.newError(field, apierr.ClassValidation, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for i := range results {
		if !seen[i] {
			results[i] = ItemResult{Index: i, Err: c.newError(field, apierr.ClassUnknown, http.StatusOK, "",
				"the bulk mutation gave no result for this input", nil)}
		}
	}
	return results, nil
}

// SetMetafieldsInBulk writes inputs with one bulk mutation and waits for
// it: StartBulkMetafields, AwaitBulk, BulkMetafieldResults. The error is
// non-nil when the operation could not be started or did not complete.
func (c *Client) SetMetafieldsInBulk(ctx context.Context, inputs []MetafieldInput) ([]ItemResult, error) {
	id, err := c.StartBulkMetafields(ctx, inputs)
	if err != nil {
		return nil, err
	}
	op, err := c.AwaitBulk(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	return c.BulkMetafieldResults(ctx, op.URL, len(inputs))
}

// stageUpload asks for an upload target for bulk mutation variables,
// posts body there and returns the path bulkOperationRunMutation takes.
func (c *Client) stageUpload(ctx context.Context, body []byte) (string, error) {
	var data struct {
		StagedUploadsCreate *struct {
			StagedTargets []struct {
				URL        string `json:"url"`
				Parameters []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"parameters"`
			} `json:"stagedTargets"`
			UserErrors []userError `json:"userErrors"`
		} `json:"stagedUploadsCreate"`
	}
	vars := map[string]any{"input": []map[string]any{{"resource": "BULK_MUTATION_VARIABLES", "filename": "bulk.jsonl",
		"mimeType": "text/jsonl", "httpMethod": "POST"}}}
	if err := c.do(ctx, opStagedUploads, vars, &data); err != nil {
		return "", err
	}
	p := data.StagedUploadsCreate
	switch {
	case p == nil:
		return "", c.newError(opStagedUploads.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
	case len(p.UserErrors) > 0:
		return "", c.newError(opStagedUploads.name, apierr.ClassValidation, http.StatusOK, p.UserErrors[0].Code, userErrorMessage(p.UserErrors[0]), nil)
	case len(p.StagedTargets) != 1 || p.StagedTargets[0].URL == "":
		return "", c.newError(opStagedUploads.name, apierr.ClassUnknown, http.StatusOK, "", "no upload target in reply", nil)
	}
	target := p.StagedTargets[0]
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	key := ""
	for _, prm := range target.Parameters {
		if prm.Name == "key" {
			key = prm.Value
		}
		if err := mw.WriteField(prm.Name, prm.Value); err != nil {
			return "", c.newError(opBulkUpload, apierr.ClassUnknown, 0, "", "build upload", err)
		}
	}
	if key == "" {
		return "", c.newError(opStagedUploads.name, apierr.ClassUnknown, http.StatusOK, "", "upload target has no key", nil)
	}
	fw, err := mw.CreateFormFile("file", "bulk.jsonl")
	if err == nil {
		_, err = fw.Write(body)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", c.newError(opBulkUpload, apierr.ClassUnknown, 0, "", "build upload", err)
	}
	// The target is storage outside the shop: the access token is never
	// sent there.
	for attempt := 1; ; attempt++ {
		err := c.postForm(ctx, target.URL, mw.FormDataContentType(), form.Bytes())
		if err == nil {
			return key, nil
		}
		if !apierr.ClassOf(err).Retryable() || c.retry.Exhausted(attempt) {
			return "", err
		}
		if werr := c.retry.Wait(ctx, c.retry.Backoff(attempt)); werr != nil {
			return "", c.newError(opBulkUpload, apierr.ClassCanceled, 0, "", "", werr)
		}
	}
}

// postForm posts one multipart upload.
func (c *Client) postForm(ctx context.Context, url, contentType string, body []byte) error {
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return c.newError(opBulkUpload, apierr.ClassUnknown, 0, "", "bad upload URL", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return c.newError(opBulkUpload, apierr.ClassCanceled, 0, "", "", ctx.Err())
		}
		return c.newError(opBulkUpload, apierr.ClassTransient, 0, "", "upload failed", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return c.newError(opBulkUpload, apierr.ClassTransient, resp.StatusCode, "", http.StatusText(resp.StatusCode), nil)
	default:
		return c.newError(opBulkUpload, apierr.ClassValidation, resp.StatusCode, "", http.StatusText(resp.StatusCode), nil)
	}
}

// runBulkMutation starts mutation over the uploaded variables at path.
func (c *Client) runBulkMutation(ctx context.Context, mutation, path string) (string, error) {
	ctx, cancel, err := startContext(ctx)
	if err != nil {
		return "", err
	}
	defer cancel()
	var data struct {
		BulkOperationRunMutation *struct {
			BulkOperation *struct {
				ID string `json:"id"`
			} `json:"bulkOperation"`
			UserErrors []userError `json:"userErrors"`
		} `json:"bulkOperationRunMutation"`
	}
	if err := c.do(ctx, opBulkRunMutation, map[string]any{"mutation": mutation, "path": path}, &data); err != nil {
		return "", err
	}
	p := data.BulkOperationRunMutation
	switch {
	case p == nil:
		return "", c.newError(opBulkRunMutation.name, apierr.ClassUnknown, http.StatusOK, "", "", errUserErrorsWithoutPayload)
	case len(p.UserErrors) > 0:
		ue := p.UserErrors[0]
		class := apierr.ClassValidation
		if bytes.Contains(bytes.ToLower([]byte(ue.Message)), []byte("in progress")) {
			class = apierr.ClassRateLimit
		}
		return "", c.newError(opBulkRunMutation.name, class, http.StatusOK, ue.Code, userErrorMessage(ue), nil)
	case p.BulkOperation == nil || p.BulkOperation.ID == "":
		return "", c.newError(opBulkRunMutation.name, apierr.ClassUnknown, http.StatusOK, "", "no bulk operation in reply", nil)
	}
	return p.BulkOperation.ID, nil
}
