package store

// RefoldSearchColumns is refoldSearchColumns, for the tests of migration
// 0007's fill.
var RefoldSearchColumns = refoldSearchColumns
