package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// pgUniqueViolation is PostgreSQL's SQLSTATE for a unique constraint failure.
const pgUniqueViolation = "23505"

// sqliteUniqueText is how SQLite words a unique failure; it is the fallback
// when a driver wraps the error without keeping *sqlite.Error.
const sqliteUniqueText = "UNIQUE constraint failed"

// isUniqueViolation reports whether err is a unique or primary key violation
// on either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code == pgUniqueViolation
	}
	if liteErr, ok := errors.AsType[*sqlite.Error](err); ok {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return strings.Contains(err.Error(), sqliteUniqueText)
}

// violatesColumn reports whether a unique violation err names column: SQLite
// lists "table.column" in its message, PostgreSQL names the constraint, which
// for an inline UNIQUE is "<table>_<column>_key".
func violatesColumn(err error, column string) bool {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return strings.Contains(pgErr.ConstraintName, column) || strings.Contains(pgErr.Detail, column)
	}
	return strings.Contains(err.Error(), "."+column)
}
