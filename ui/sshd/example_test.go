package sshd_test

import (
	"context"
	"log/slog"
	"os"

	tea "charm.land/bubbletea/v2"

	"syncops/engine"
	"syncops/ui/headless"
	"syncops/ui/sshd"
	"syncops/ui/tui"
)

// The server is one of the headless service's parts.
var _ headless.Service = (*sshd.Server)(nil)

// ExampleNew wires the SSH console to the engine: one real console per
// session, acting as the key that authenticated it.
func ExampleNew() {
	var e *engine.Engine // the app's engine
	srv, err := sshd.New(sshd.Config{
		Addr:               ":2222",
		DataDir:            "/var/lib/syncops", // the host key is kept here
		AuthorizedKeysPath: "/etc/syncops/authorized_keys",
		ViewerKeysPath:     "/etc/syncops/viewer_keys",
		NewModel: func(s sshd.Session) tea.Model {
			return tui.New(tui.Options{Engine: e, Actor: s.Actor, ReadOnly: s.ReadOnly, Context: s.Context})
		},
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		panic(err)
	}
	defer srv.Stop(context.Background())
}
