package store

import "context"

// LatestSchemaVersion is the highest migration this build carries for the
// store's database, so a caller can tell whether Migrate still has work:
// the doctor reports a database that is behind instead of migrating it.
func (s *Store) LatestSchemaVersion(context.Context) (int, error) {
	all, err := s.migrations()
	if err != nil {
		return 0, err
	}
	if len(all) == 0 {
		return 0, nil
	}
	return all[len(all)-1].Version, nil
}
