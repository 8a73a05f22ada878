package app

import "syncops/store"

// DatabaseOf is the app's database, for this package's external tests
// (the faces have no way to it).
func DatabaseOf(a *App) *store.Store { return a.db }
