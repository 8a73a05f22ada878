package export_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/export"
)

func TestMappingExportParsesBack(t *testing.T) {
	t.Parallel()
	value := "1500000"
	at := time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC)
	rows := []engine.MappingRow{
		{MappingID: 7, Status: "SYNCED", Manual: true, MatchMethod: "manual",
			Nhanh:           engine.MappingSide{ID: "12", Known: true, Name: "Đặng Thị Ánh, \"Bé\"", Contact: "0912345678 anh@example.vn", Value: value},
			Shopify:         engine.MappingSide{ID: "gid://shopify/Customer/9", Known: true, Name: "Nguyễn Văn Ấn"},
			LastSyncedValue: &value, LastSyncedAt: &at, LastError: "line one\nline two"},
		{Nhanh: engine.MappingSide{ID: "13", Name: "Phạm Ngọc"},
			Reason: &engine.MatchReason{Code: engine.ReasonAmbiguous, Message: "phone 0987654321 is on 2 Shopify customers",
				Candidates: []string{"gid://shopify/Customer/1", "gid://shopify/Customer/2"}}},
	}
	var buf bytes.Buffer
	w := export.NewWriter(&buf, export.MappingHeader)
	for _, r := range rows {
		w.Write(export.MappingRecord(r))
	}
	require.NoError(t, w.Flush())

	out := buf.String()
	require.True(t, strings.HasPrefix(out, "\uFEFF"), "Excel needs the byte-order mark to read UTF-8")
	require.Contains(t, out, "\r\n")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, export.MappingHeader, recs[0])
	require.Len(t, recs, 3)
	for i, r := range rows {
		require.Equal(t, export.MappingRecord(r), recs[i+1])
	}
	require.Equal(t, "Đặng Thị Ánh, \"Bé\"", recs[1][5])
	require.Equal(t, "2026-12-03T01:02:03Z", recs[1][14])
	require.Equal(t, "gid://shopify/Customer/1 gid://shopify/Customer/2", recs[2][18])
}
