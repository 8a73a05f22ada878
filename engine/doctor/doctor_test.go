package doctor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"syncops/engine"
	"syncops/engine/doctor"
)

func TestDiskThresholds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		free uint64
		err  error
		want doctor.Status
	}{
		{free: 5 << 30, want: doctor.StatusOK},
		{free: 500 << 20, want: doctor.StatusWarn},
		{free: 10 << 20, want: doctor.StatusFail},
		{err: errors.New("no such directory"), want: doctor.StatusFail},
	}
	for _, tc := range cases {
		d := doctor.New(doctor.Deps{Clock: clockwork.NewFakeClock(), DataDir: t.TempDir(),
			FreeSpace: func(string) (uint64, error) { return tc.free, tc.err }})
		rep, err := d.Run(context.Background(), doctor.RunOptions{})
		require.NoError(t, err)
		c, ok := rep.Find(doctor.CheckDisk)
		require.True(t, ok)
		require.Equal(t, tc.want, c.Status, c.Message)
		if tc.want != doctor.StatusOK {
			require.NotEmpty(t, c.Fix)
		}
	}
}

func TestFixNeedsAnOperator(t *testing.T) {
	t.Parallel()
	d := doctor.New(doctor.Deps{Clock: clockwork.NewFakeClock(), DataDir: t.TempDir()})
	_, err := d.Run(context.Background(), doctor.RunOptions{Fix: true,
		Actor: engine.Actor{Name: "eve", Kind: engine.ActorSSH, Role: engine.RoleViewer}})
	require.ErrorIs(t, err, engine.ErrForbidden)
	// Without --fix a viewer may look.
	rep, err := d.Run(context.Background(), doctor.RunOptions{Actor: engine.Actor{Name: "eve", Kind: engine.ActorSSH, Role: engine.RoleViewer}})
	require.NoError(t, err)
	require.False(t, rep.OK, "nothing is configured")
	c, ok := rep.Find(doctor.CheckNhanhCredentials)
	require.True(t, ok)
	require.Equal(t, doctor.StatusFail, c.Status)
}
