package sshd

import (
	"errors"
	"log/slog"
	"maps"
	"net"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Permission extensions that carry the identity from authentication to the
// session, inside the Permissions x/crypto keeps for the connection.
const (
	extFingerprint = "syncops-fingerprint"
	extComment     = "syncops-comment"
	extRole        = "syncops-role"
)

var (
	// errKeyRevoked: the key was removed from the files between the client's
	// query and its signature.
	errKeyRevoked = errors.New("key no longer authorized")
	// errNoIdentity: a session whose connection carries no identity; it
	// cannot happen with public-key auth as the only method, and is refused.
	errNoIdentity = errors.New("connection has no authenticated identity")
)

// acceptKey is the server's PublicKeyHandler. It runs for every key a client
// offers, including keys the client only asks about and never proves it
// holds, so it answers yes or no and records nothing: an identity recorded
// here would be the last key offered, not the key that signed, and a client
// offering an operator's public key and then signing with a viewer's key
// would become the operator (the soft-serve impersonation).
func (srv *Server) acceptKey(ctx ssh.Context, key ssh.PublicKey) bool {
	_, ok, err := srv.keys.identify(key)
	switch {
	case err != nil:
		srv.logger.Error("ssh key files unreadable: key refused", slog.Any("error", err),
			slog.String("fingerprint", gossh.FingerprintSHA256(key)), slog.String("remote", addrString(ctx.RemoteAddr())))
	case !ok:
		srv.logger.Info("ssh key refused", slog.String("fingerprint", gossh.FingerprintSHA256(key)),
			slog.String("user", ctx.User()), slog.String("remote", addrString(ctx.RemoteAddr())))
	}
	return ok
}

// stampIdentity is x/crypto's VerifiedPublicKeyCallback: it runs only once
// the client has signed with key, and what it returns becomes the
// connection's Permissions. The identity is written here and nowhere else,
// into a Permissions value of its own, so it is the identity of the key that
// actually authenticated whatever was offered before.
func (srv *Server) stampIdentity(conn gossh.ConnMetadata, key gossh.PublicKey, offered *gossh.Permissions, _ string) (*gossh.Permissions, error) {
	id, ok, err := srv.keys.identify(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		srv.logger.Info("ssh key refused: removed before it signed", slog.String("fingerprint", gossh.FingerprintSHA256(key)),
			slog.String("remote", addrString(conn.RemoteAddr())))
		return nil, errKeyRevoked
	}
	perms := &gossh.Permissions{CriticalOptions: map[string]string{}, Extensions: map[string]string{}}
	if offered != nil {
		// Keeps charm.land/ssh's own record of the key (Session.PublicKey),
		// which identityOf checks against.
		maps.Copy(perms.CriticalOptions, offered.CriticalOptions)
		maps.Copy(perms.Extensions, offered.Extensions)
	}
	perms.Extensions[extFingerprint] = id.Fingerprint
	perms.Extensions[extComment] = id.Comment
	perms.Extensions[extRole] = string(id.Role)
	return perms, nil
}

// serverConfig is the x/crypto configuration of each connection;
// charm.land/ssh adds the public-key callback and host key to it. No
// password or keyboard-interactive callback is set, so those methods are
// never offered.
func (srv *Server) serverConfig(ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{VerifiedPublicKeyCallback: srv.stampIdentity}
}

// identityOf reads a session's identity from the Permissions x/crypto kept
// for the authentication that succeeded (ServerConn.Permissions), and checks
// it names the public key the connection authenticated with.
func identityOf(sess ssh.Session) (Identity, error) {
	conn, ok := sess.Context().Value(ssh.ContextKeyConn).(*gossh.ServerConn)
	if !ok || conn.Permissions == nil {
		return Identity{}, errNoIdentity
	}
	ext := conn.Permissions.Extensions
	id := Identity{Fingerprint: ext[extFingerprint], Comment: ext[extComment], Role: Role(ext[extRole])}
	if id.Fingerprint == "" || (id.Role != RoleOperator && id.Role != RoleViewer) {
		return Identity{}, errNoIdentity
	}
	pk := sess.PublicKey()
	if pk == nil || gossh.FingerprintSHA256(pk) != id.Fingerprint {
		return Identity{}, errors.New("identity does not match the authenticated key")
	}
	return id, nil
}

// addrString prints an address for the log, tolerating nil.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
