package store

import (
	"context"
	"time"
)

// Test hooks for store_test.
var (
	IsUniqueViolation = isUniqueViolation
	ViolatesColumn    = violatesColumn
)

// InsertCustomerMappingsUnchecked inserts mappings without the friendly
// pre-check, so tests reach the database's own unique constraints.
func (s *Store) InsertCustomerMappingsUnchecked(ctx context.Context, q Querier, ms []CustomerMapping, now time.Time) error {
	rows := make([]mappingRow, len(ms))
	for i, m := range ms {
		rows[i] = m.row()
	}
	return customerMappings.insert(ctx, s.dialect, q, rows, now)
}

// WALCheckpoints is how many WAL checkpoints the store's checkpointer has
// run (SQLite; 0 on PostgreSQL).
func (s *Store) WALCheckpoints() int64 {
	if s.checkpoints == nil {
		return 0
	}
	return s.checkpoints.runs.Load()
}
