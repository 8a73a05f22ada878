package sshd_test

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

func TestRoleComesFromTheKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name       string
		key        gossh.Signer
		wantScreen string
		wantActor  string
		wantEngine string
	}{
		{name: "operator", key: b.operator, wantScreen: "role=operator readonly=false",
			wantActor: "actor=ssh:" + fingerprint(b.operator) + " alice@ops", wantEngine: "engine-forbids=false"},
		{name: "viewer", key: b.viewer, wantScreen: "role=viewer readonly=true",
			wantActor: "actor=ssh:" + fingerprint(b.viewer) + " victor@view", wantEngine: "engine-forbids=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			con := openConsole(t, b.connect(t, tt.key), 90, 20)
			text := con.waitFor(t, tt.wantScreen)
			require.Contains(t, text, tt.wantActor)
			require.Contains(t, text, tt.wantEngine)
			con.waitFor(t, "size=90x20")
			con.press(t, "q")
			require.Equal(t, 0, con.wait(t))
		})
	}
}

func TestUnknownKeyIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := dial(b.server.Addr(), nil, gossh.PublicKeys(b.stranger))
	require.ErrorContains(t, err, "unable to authenticate")
	require.Contains(t, b.logs.String(), fingerprint(b.stranger))
	require.Contains(t, b.logs.String(), "ssh key refused")
}

// offerOnlySigner has an operator's public key (public keys are public) but
// not the private key: it can offer the key, never sign with it.
type offerOnlySigner struct {
	pub     gossh.PublicKey
	offered atomic.Bool // the server accepted the offer and the client tried to sign
}

func (s *offerOnlySigner) PublicKey() gossh.PublicKey { return s.pub }

func (s *offerOnlySigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	s.offered.Store(true)
	return nil, errors.New("no private key")
}

// authInOrder tries each method once, in order, whatever the server says:
// the way an attacker's client walks the server through the auth steps.
func authInOrder(methods ...gossh.AuthMethod) gossh.ClientAuthCallback {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(methods) == 0 {
			return nil, errors.New("no method left")
		}
		m := methods[0]
		methods = methods[1:]
		return m, nil
	}
}

// TestKeyOfferAttackCannotImpersonateOperator: the server accepts an
// operator's public key when it is only offered (the query step of
// public-key auth); a client that then authenticates with a viewer's key
// must be the viewer. A server that records the identity when a key is
// accepted rather than when it signs (in the connection's context, on the
// first accepted key) would make this client the operator; this test fails
// against such a server.
func TestKeyOfferAttackCannotImpersonateOperator(t *testing.T) {
	t.Parallel()
	b := setup(t)
	offer := &offerOnlySigner{pub: b.operator.PublicKey()}
	c, err := gossh.Dial("tcp", b.server.Addr(), &gossh.ClientConfig{User: "ops",
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: waitTimeout,
		AuthCallback: authInOrder(gossh.PublicKeys(offer), gossh.PublicKeys(b.viewer))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.True(t, offer.offered.Load(), "the server must have accepted the operator's key offer for the test to mean anything")

	con := openConsole(t, c, 90, 20)
	text := con.waitFor(t, "role=viewer readonly=true")
	require.Contains(t, text, fingerprint(b.viewer))
	require.NotContains(t, text, fingerprint(b.operator))
}

// TestKeyOfferThenKeylessAuthIsRefused: after an operator's key was offered
// and accepted, a keyless method (none, password, keyboard-interactive) must
// not log the client in with the identity left over from the offer.
func TestKeyOfferThenKeylessAuthIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	offer := &offerOnlySigner{pub: b.operator.PublicKey()}
	answer := func(string, string, []string, []bool) ([]string, error) { return nil, nil }
	_, err := gossh.Dial("tcp", b.server.Addr(), &gossh.ClientConfig{User: "ops",
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: waitTimeout,
		AuthCallback: authInOrder(gossh.PublicKeys(offer), gossh.Password(""), gossh.Password("hunter2"),
			gossh.KeyboardInteractive(answer))})
	require.Error(t, err)
	require.True(t, offer.offered.Load())
	require.NotContains(t, b.logs.String(), "ssh session opened")
}

// TestKeyFileEditsApplyWithoutRestart: adding, revoking and demoting keys
// takes effect at the next connection, so a revoked key cannot keep
// logging in until someone restarts the service.
func TestKeyFileEditsApplyWithoutRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	steps := []struct {
		name      string
		operators []string
		viewers   []string
		key       gossh.Signer
		wantRole  string // "" means refused
	}{
		{name: "unlisted key refused", operators: []string{authorizedLine(b.operator, "alice@ops")},
			key: b.stranger},
		{name: "added key accepted", operators: []string{authorizedLine(b.operator, "alice@ops"),
			authorizedLine(b.stranger, "sam@new")}, key: b.stranger, wantRole: "role=operator"},
		{name: "revoked key refused", operators: []string{authorizedLine(b.stranger, "sam@new")},
			key: b.operator},
		{name: "key in both files is a viewer", operators: []string{authorizedLine(b.stranger, "sam@new")},
			viewers: []string{authorizedLine(b.stranger, "sam@new")}, key: b.stranger, wantRole: "role=viewer"},
	}
	for _, step := range steps {
		writeKeys(t, b.operators, step.operators...)
		writeKeys(t, b.viewers, step.viewers...)
		c, err := dial(b.server.Addr(), nil, gossh.PublicKeys(step.key))
		if step.wantRole == "" {
			require.Error(t, err, step.name)
			continue
		}
		require.NoError(t, err, step.name)
		con := openConsole(t, c, 80, 10)
		con.waitFor(t, step.wantRole)
		con.press(t, "q")
		con.wait(t)
		require.NoError(t, c.Close())
	}
}

// TestKeyWithOptionsIsSkipped: authorized_keys options such as from= are
// not enforced here, so such a line must grant nothing rather than grant
// access from everywhere.
func TestKeyWithOptionsIsSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	writeKeys(t, b.operators, `from="10.9.9.9" `+authorizedLine(b.operator, "alice@ops"))
	_, err := dial(b.server.Addr(), nil, gossh.PublicKeys(b.operator))
	require.Error(t, err)
	require.Contains(t, b.logs.String(), "key options are not supported")
}

// TestUnreadableViewerFileRefusesInsteadOfPromoting: a key demoted to the
// viewers' file but still in the operators' file must not become an
// operator when the viewers' file cannot be read.
func TestUnreadableViewerFileRefusesInsteadOfPromoting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, os.Remove(b.viewers))
	require.NoError(t, os.Mkdir(b.viewers, 0o700)) // reading a directory fails, whoever we run as
	_, err := dial(b.server.Addr(), nil, gossh.PublicKeys(b.operator))
	require.Error(t, err)
	require.Contains(t, b.logs.String(), "ssh key files unreadable")
}

func TestPasswordIsNotOffered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn, err := net.Dial("tcp", b.server.Addr())
	require.NoError(t, err)
	defer conn.Close()
	var offered []string
	_, _, _, err = gossh.NewClientConn(conn, b.server.Addr(), &gossh.ClientConfig{User: "ops",
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		AuthCallback: func(ctx *gossh.ClientAuthContext) (gossh.AuthMethod, error) {
			offered = ctx.AllowedMethods
			return nil, errors.New("stop")
		}})
	require.Error(t, err)
	require.Equal(t, []string{"publickey"}, offered)
}

// TestForwardingIsRefused: a console key must not double as a tunnel into
// the server's network (ssh -L / -R).
func TestForwardingIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.connect(t, b.operator)
	_, err := c.Dial("tcp", b.server.Addr())
	require.Error(t, err, "local forwarding")
	_, err = c.Listen("tcp", "127.0.0.1:0")
	require.Error(t, err, "remote forwarding")
}
