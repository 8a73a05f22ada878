package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"syncops/store"
	"syncops/store/storetest"
)

func TestFoldSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		same bool
	}{
		{"ĐƠN HÀNG", "đơn hàng", true},
		{"Đặng", "đặng", true},
		{"Đặng", norm.NFD.String("đặng"), true}, // typed with combining marks
		{"NGƯỜI VẬN HÀNH", "người vận hành", true},
		{"ỨNG DỤNG", "ứng dụng", true},
		{"Đặng", "dang", false}, // folding keeps marks (search columns and terms add unmarked copies)
		{"Đơn", "Don", false},
		{"ă", "â", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.same, store.FoldSearch(tt.a) == store.FoldSearch(tt.b))
		})
	}
}

// vietnameseHistory writes jobs and failed items with Vietnamese text:
// 1 FAILED "Nhanh từ chối ĐƠN HÀNG 42"; 2 FAILED "Khách Đặng Thị Ánh đã có
// số điện thoại"; 3 FAILED "timeout"; 4 CANCELLED "HUỶ BỞI NGƯỜI VẬN HÀNH"
// (its worker then reports no error); 5 COMPLETED with failed items
// "Đặng Văn Lâm" (message "ĐƠN HÀNG không tồn tại"), "SKU-ÁO-01" and
// "Lê Văn Bình" (class "validation").
func vietnameseHistory(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for id, msg := range map[int64]string{1: "Nhanh từ chối ĐƠN HÀNG 42", 2: "Khách Đặng Thị Ánh đã có số điện thoại", 3: "timeout"} {
		insertJob(t, s, id, "CUSTOMER_SYNC", "k", t0)
		require.NoError(t, s.FinishJob(ctx, s.DB(), id, store.JobFailed, store.Counters{}, json.RawMessage(`{}`), msg, t0))
	}
	insertJob(t, s, 4, "PRODUCT_SYNC", "p", t0)
	ok, err := s.CancelJobRecord(ctx, s.DB(), 4, "HUỶ BỞI NGƯỜI VẬN HÀNH", t0)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.FinishJob(ctx, s.DB(), 4, store.JobCompleted, store.Counters{}, json.RawMessage(`{}`), "", t0))
	insertJob(t, s, 5, "PRODUCT_SYNC", "p", t0)
	require.NoError(t, s.UpsertFailedItem(ctx, s.DB(), store.FailedItem{JobID: 5, ItemKey: "Đặng Văn Lâm",
		Message: "Đơn cũ", ErrorClass: "not_found", CreatedAt: t0}))
	// The batch path, updating the first item and adding two.
	require.NoError(t, s.UpsertFailedItems(ctx, s.DB(), []store.FailedItem{
		{JobID: 5, ItemKey: "Đặng Văn Lâm", Message: "ĐƠN HÀNG không tồn tại", ErrorClass: "not_found", CreatedAt: t0},
		{JobID: 5, ItemKey: "SKU-ÁO-01", Message: "tồn kho âm", ErrorClass: "validation", CreatedAt: t0},
		{JobID: 5, ItemKey: "Lê Văn Bình", Message: "số điện thoại sai", ErrorClass: "validation", CreatedAt: t0},
	}))
}

// requireVietnameseSearch runs the searches of the conformance cases.
func requireVietnameseSearch(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	jobs := []struct {
		query string
		want  []int64
	}{
		{"đơn", []int64{1}},
		{"ĐƠN hàng", []int64{1}},
		{"đặng", []int64{2}},
		{"ĐẶNG THỊ ÁNH", []int64{2}},
		{norm.NFD.String("đặng"), []int64{2}},
		{"dang", []int64{2}},             // typed without marks: finds the marked text
		{"đang", nil},                    // typed with other marks: does not
		{"tu choi don hang", []int64{1}}, // từ chối ĐƠN HÀNG
		{"người vận hành", []int64{4}},
		{"nguoi van hanh", []int64{4}},
		{"product_sync", []int64{5, 4}},
		{"failed", []int64{3, 2, 1}},
	}
	for _, tt := range jobs {
		got, err := s.ListJobs(ctx, s.Reader(), store.JobFilter{Search: tt.query})
		require.NoError(t, err, tt.query)
		var ids []int64
		for _, j := range got {
			ids = append(ids, j.ID)
		}
		require.Equal(t, tt.want, ids, "jobs matching %q", tt.query)
	}
	items := []struct {
		query string
		want  []string
	}{
		{"đơn", []string{"Đặng Văn Lâm"}},
		{"đặng", []string{"Đặng Văn Lâm"}},
		{"LÂM", []string{"Đặng Văn Lâm"}},
		{"áo", []string{"SKU-ÁO-01"}},
		{"ĐIỆN THOẠI", []string{"Lê Văn Bình"}},
		{"VALIDATION", []string{"SKU-ÁO-01", "Lê Văn Bình"}},
		{"đơn cũ", nil}, // the message an update replaced
		{"lâm\x1fđơn", nil},
		{"dang van lam", []string{"Đặng Văn Lâm"}},
		{"so dien thoai", []string{"Lê Văn Bình"}},
		{"not_founddang", nil}, // no match spans the marked text and its unmarked copy
	}
	for _, tt := range items {
		got, err := s.FailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 5, Search: tt.query})
		require.NoError(t, err, tt.query)
		var keys []string
		for _, it := range got {
			keys = append(keys, it.ItemKey)
		}
		require.Equal(t, tt.want, keys, "failed items matching %q", tt.query)
		n, err := s.CountFailedItems(ctx, s.Reader(), store.FailedItemFilter{JobID: 5, Search: tt.query})
		require.NoError(t, err)
		require.Equal(t, int64(len(tt.want)), n, "count of failed items matching %q", tt.query)
	}
}

// Job and failed-item search fold Vietnamese case alike on both databases
// (SQLite's LOWER folds ASCII only: "đơn" did not find "ĐƠN HÀNG").
func TestSearchFoldsVietnameseCase(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		vietnameseHistory(t, s)
		requireVietnameseSearch(t, s)
	})
}

// Rows written before migration 0007 get their search columns from its
// fill, folded by the same rule.
func TestMigrationRefoldsOldRows(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		vietnameseHistory(t, s)
		require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET error_search = ''`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE job_failed_items SET search = ''`)
			return err
		}))
		got, err := s.ListJobs(ctx, s.Reader(), store.JobFilter{Search: "đặng"})
		require.NoError(t, err)
		require.Empty(t, got, "the columns were emptied")

		require.NoError(t, s.InTx(ctx, func(tx *sql.Tx) error { return store.RefoldSearchColumns(ctx, tx) }))
		requireVietnameseSearch(t, s)
	})
}
