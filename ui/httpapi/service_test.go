package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"syncops/ui/headless"
)

// TestHeadlessServesAndStops runs the headless service with the API on
// port 0: the bound address reaches Ready, the API answers there, and
// shutdown ends an open event stream instead of waiting for it.
func TestHeadlessServesAndStops(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{kinds: quietKinds})
	srv, err := New(Config{Addr: "127.0.0.1:0", TokensPath: b.tokens, Engine: b.app.Engine, Scheduler: b.app.Scheduler})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan headless.Bound, 1)
	done := make(chan error, 1)
	go func() {
		done <- headless.Run(ctx, headless.Options{App: b.app, HTTP: srv, Grace: 10 * time.Second,
			Ready: func(bound headless.Bound) { ready <- bound }})
	}()
	bound := <-ready
	require.NotEmpty(t, bound.HTTP)
	require.NotContains(t, bound.HTTP, ":0", "the port actually bound")
	api := &bundle{base: "http://" + bound.HTTP}
	resp, _ := api.do(t, http.MethodGet, "/v1/jobs", viewerToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	stream := openEvents(t, api, "/v1/events")
	comment, _, _ := stream.next()
	require.Equal(t, ": subscribed", comment)
	cancel()
	require.NoError(t, <-done)
	for {
		if _, _, ok := stream.next(); !ok {
			break
		}
	}
	_, err = net.Dial("tcp", bound.HTTP)
	require.Error(t, err, "nothing listens after shutdown")
}

// TestTLS serves HTTPS from certificate and key files.
func TestTLS(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{kinds: quietKinds})
	certPath, keyPath, pool := selfSigned(t)
	srv, err := New(Config{Addr: "127.0.0.1:0", TokensPath: b.tokens, TLSCertPath: certPath, TLSKeyPath: keyPath,
		Engine: b.app.Engine})
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	defer func() { require.NoError(t, srv.Stop(context.Background())) }()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodGet, "https://"+srv.Addr()+"/v1/types", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotNil(t, resp.TLS)

	_, err = New(Config{Addr: "127.0.0.1:0", TokensPath: b.tokens, TLSCertPath: certPath, Engine: b.app.Engine})
	require.ErrorContains(t, err, "both")
}

func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syncops test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}
