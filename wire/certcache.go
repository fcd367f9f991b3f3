package wire

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// CertCache remembers, across connections, what was worked out about
// certificates: the verdict of verifying a chain for a name, and the
// description of each certificate (CertInfo, whose self-signed check is a
// signature verification). A fleet of probes meets the same certificates
// again and again (a hoster's MX behind thousands of domains), and each
// verification costs more than the rest of a probe's framing.
//
// A verdict is reused only for the same chain (every certificate's DER,
// in order), the same name and the same root pool (the same *x509.CertPool,
// which must not change while the cache is in use; nil is the system
// roots), and only while the time is within every certificate's validity
// (the chain as sent and, for a chain that verified, the chains built to
// the roots), and at most maxVerdictAge after it was reached, so a verdict
// is never served past a NotAfter or before a NotBefore. A chain outside its
// validity is verified every time, and so is every chain where the
// system's own verifier judges it (system roots on macOS and Windows). The
// zero value is not usable: NewCertCache.
type CertCache struct {
	max int
	now func() time.Time // the clock; time.Now, a fake one in tests

	mu       sync.Mutex
	verdicts map[verdictKey]verdictEntry
	infos    map[[sha256.Size]byte]CertInfo
}

// maxVerdictAge bounds how long a verdict is reused: what a root pool's
// own dates might change (a root not yet valid) is looked at again.
const maxVerdictAge = 10 * time.Minute

// DefaultCertCacheSize is NewCertCache's bound when given 0 or less.
const DefaultCertCacheSize = 1024

// NewCertCache returns a cache of at most size verdicts and size
// descriptions (0 or less: DefaultCertCacheSize).
func NewCertCache(size int) *CertCache {
	if size <= 0 {
		size = DefaultCertCacheSize
	}
	return &CertCache{
		max:      size,
		now:      time.Now,
		verdicts: make(map[verdictKey]verdictEntry),
		infos:    make(map[[sha256.Size]byte]CertInfo),
	}
}

type verdictKey struct {
	chain [sha256.Size]byte // of every certificate's DER, each with its length
	name  string
	roots *x509.CertPool
}

type verdictEntry struct {
	err                 error
	notBefore, notUntil time.Time // reused while notBefore <= now <= notUntil
}

// verify is verifyChain through the cache: the same error (or nil) as
// verifyChain would return now.
func (cc *CertCache) verify(certs []*x509.Certificate, name string, roots *x509.CertPool) error {
	if cc == nil || len(certs) == 0 || name == "" || roots == nil && platformVerifier {
		// the system's own verifier (macOS, Windows) may look at more than
		// the chain, such as revocation: its verdicts are not kept
		return verifyChain(certs, name, roots)
	}
	now := cc.now()
	key := verdictKey{chain: chainSum(certs), name: name, roots: roots}
	cc.mu.Lock()
	e, ok := cc.verdicts[key]
	cc.mu.Unlock()
	if ok && !now.Before(e.notBefore) && !now.After(e.notUntil) {
		return e.err
	}
	chains, err := verifyChains(certs, name, roots, now)
	e = verdictEntry{err: err, notBefore: now, notUntil: now.Add(maxVerdictAge)}
	within(&e, certs)
	for _, chain := range chains {
		within(&e, chain)
	}
	if now.Before(e.notBefore) || now.After(e.notUntil) {
		return err // outside a certificate's validity: never reused
	}
	cc.mu.Lock()
	if len(cc.verdicts) >= cc.max {
		evictOne(cc.verdicts)
	}
	cc.verdicts[key] = e
	cc.mu.Unlock()
	return err
}

// within narrows e's window to the validity of every certificate of certs.
func within(e *verdictEntry, certs []*x509.Certificate) {
	for _, c := range certs {
		if c.NotBefore.After(e.notBefore) {
			e.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(e.notUntil) {
			e.notUntil = c.NotAfter
		}
	}
}

// evictOne makes room in a full map: an arbitrary entry goes (Go's map
// order), in constant time; a certificate met often comes back.
func evictOne[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
		return
	}
}

// chainSum hashes a chain: each certificate's DER after its length, so
// that no two chains share a sum by where one certificate ends.
func chainSum(certs []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [4]byte
	for _, c := range certs {
		l := len(c.Raw)
		n[0], n[1], n[2], n[3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// describe is certInfo through the cache, keyed by the certificate's DER.
// The slices of a CertInfo are shared between the connections that met
// the certificate: read, never changed.
func (cc *CertCache) describe(cert *x509.Certificate) CertInfo {
	if cc == nil {
		return certInfo(cert)
	}
	sum := sha256.Sum256(cert.Raw)
	cc.mu.Lock()
	ci, ok := cc.infos[sum]
	cc.mu.Unlock()
	if ok {
		return ci
	}
	ci = certInfoSum(cert, sum)
	cc.mu.Lock()
	if len(cc.infos) >= cc.max {
		evictOne(cc.infos)
	}
	cc.infos[sum] = ci
	cc.mu.Unlock()
	return ci
}
