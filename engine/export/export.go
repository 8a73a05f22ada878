// Package export writes what the engine lists as CSV files that a
// spreadsheet opens as they are: UTF-8 with a byte-order mark (without it,
// Excel reads UTF-8 as the local code page and Vietnamese names come out
// garbled), a header row, CRLF line ends. Every face exports through it.
package export

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"syncops/engine"
)

// bom is the UTF-8 byte-order mark Excel looks for.
const bom = "\uFEFF"

// Writer writes one CSV table.
type Writer struct {
	w   *csv.Writer
	err error
}

// NewWriter writes the byte-order mark and the header to w.
func NewWriter(w io.Writer, header []string) *Writer {
	cw := &Writer{w: csv.NewWriter(w)}
	cw.w.UseCRLF = true
	if _, err := io.WriteString(w, bom); err != nil {
		cw.err = err
		return cw
	}
	cw.Write(header)
	return cw
}

// Write writes one record; the first error is kept for Flush.
func (w *Writer) Write(record []string) {
	if w.err == nil {
		w.err = w.w.Write(record)
	}
}

// Flush writes what is buffered and returns the first error.
func (w *Writer) Flush() error {
	w.w.Flush()
	if w.err != nil {
		return w.err
	}
	return w.w.Error()
}

// MappingHeader is the header of a mapping export.
var MappingHeader = []string{"mapping_id", "status", "manual", "match_method",
	"nhanh_id", "nhanh_name", "nhanh_contact", "nhanh_value", "nhanh_deleted",
	"shopify_id", "shopify_name", "shopify_contact", "shopify_deleted",
	"last_synced_value", "last_synced_at", "last_error", "reason_code", "reason", "candidates"}

// MappingRecord is one mapping row as a record of MappingHeader.
func MappingRecord(r engine.MappingRow) []string {
	var reasonCode, reason, candidates string
	if r.Reason != nil {
		reasonCode, reason, candidates = r.Reason.Code, r.Reason.Message, strings.Join(r.Reason.Candidates, " ")
	}
	id := ""
	if r.MappingID != 0 {
		id = strconv.FormatInt(r.MappingID, 10)
	}
	return []string{id, r.Status, strconv.FormatBool(r.Manual), r.MatchMethod,
		r.Nhanh.ID, r.Nhanh.Name, r.Nhanh.Contact, r.Nhanh.Value, strconv.FormatBool(r.Nhanh.Deleted),
		r.Shopify.ID, r.Shopify.Name, r.Shopify.Contact, strconv.FormatBool(r.Shopify.Deleted),
		deref(r.LastSyncedValue), timeText(r.LastSyncedAt), r.LastError, reasonCode, reason, candidates}
}

// FailureHeader is the header of a failed-items export.
var FailureHeader = []string{"job_id", "item", "class", "message", "request", "attempts", "at"}

// FailureRecord is one failed item as a record of FailureHeader.
func FailureRecord(it engine.FailedItem) []string {
	return []string{strconv.FormatInt(it.JobID, 10), it.ItemKey, it.ErrorClass, it.Message, it.Request,
		strconv.Itoa(it.Attempts), it.UpdatedAt.UTC().Format(time.RFC3339)}
}

// JobHeader is the header of a job-list export.
var JobHeader = []string{"id", "type", "status", "params", "total", "processed", "successful", "failed", "skipped",
	"error", "requested_by", "created_at", "started_at", "completed_at"}

// JobRecord is one job as a record of JobHeader.
func JobRecord(j engine.Job) []string {
	return []string{strconv.FormatInt(int64(j.ID), 10), j.Type, string(j.Status), string(j.Params),
		strconv.FormatInt(j.Total, 10), strconv.FormatInt(j.Processed, 10), strconv.FormatInt(j.Successful, 10),
		strconv.FormatInt(j.Failed, 10), strconv.FormatInt(j.Skipped, 10), j.Error, j.RequestedBy,
		j.CreatedAt.UTC().Format(time.RFC3339), timeText(j.StartedAt), timeText(j.CompletedAt)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
