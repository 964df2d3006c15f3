// Package acs3 signs and verifies requests with Alibaba Cloud's signature
// method V3, ACS3-HMAC-SHA256, the default of the current (darabonba)
// generation of Alibaba Cloud SDKs.
//
// A V3 request names its API in headers (x-acs-action, x-acs-version) and
// carries x-acs-date, x-acs-signature-nonce and x-acs-content-sha256 (the
// lowercase hex SHA-256 of the body; of the empty string when there is none).
// The signature covers a canonical request:
//
//	METHOD \n
//	canonical URI \n            the path, "/" when empty
//	canonical query \n          name=value pairs sorted by name, each part
//	                            percent-encoded as RFC 3986 asks, joined by '&'
//	canonical headers \n        for each signed header, sorted: lowercase
//	                            name ':' trimmed value(s) '\n'
//	signed headers \n           the lowercase names joined by ';'
//	hashed payload              the value of x-acs-content-sha256
//
// The string to sign is "ACS3-HMAC-SHA256\n" followed by the lowercase hex
// SHA-256 of the canonical request, and the signature is the lowercase hex
// HMAC-SHA256 of it keyed with the access key secret. The request carries it
// in the header
//
//	Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>
//
// These rules match what the darabonba OpenAPI client computes: it signs
// every x-acs-* header, host and content-type, and joins several values of one
// header with ',' after sorting them.
package acs3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Algorithm is the only V3 signature algorithm this package implements.
const Algorithm = "ACS3-HMAC-SHA256"

// Header names of the V3 protocol, lowercase.
const (
	HeaderAction        = "x-acs-action"
	HeaderVersion       = "x-acs-version"
	HeaderDate          = "x-acs-date"
	HeaderNonce         = "x-acs-signature-nonce"
	HeaderContentSHA256 = "x-acs-content-sha256"
	HeaderSecurityToken = "x-acs-security-token"
	HeaderAccessKeyID   = "x-acs-accesskey-id"
)

// RequiredSignedHeaders must be among the signed headers of every request the
// verifier accepts: without them a signature would not bind the API, the
// time, the nonce or the body.
var RequiredSignedHeaders = []string{"host", HeaderAction, HeaderContentSHA256, HeaderDate, HeaderNonce, HeaderVersion}

// ErrMalformed is returned by ParseAuthorization for a header that is not of
// the form "ALGORITHM Credential=…,SignedHeaders=…,Signature=…".
var ErrMalformed = errors.New("acs3: malformed Authorization header")

// Authorization is a parsed Authorization header.
type Authorization struct {
	Algorithm     string
	AccessKeyID   string
	SignedHeaders []string // lowercase, as given
	Signature     string
}

// String returns the header value for a.
func (a Authorization) String() string {
	return a.Algorithm + " Credential=" + a.AccessKeyID + ",SignedHeaders=" +
		strings.Join(a.SignedHeaders, ";") + ",Signature=" + a.Signature
}

// ParseAuthorization parses the value of an Authorization header. It checks
// the form only; the algorithm may be one this package does not implement.
func ParseAuthorization(v string) (Authorization, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg == "" {
		return Authorization{}, ErrMalformed
	}
	var a Authorization
	a.Algorithm = alg
	seen := map[string]bool{}
	for part := range strings.SplitSeq(strings.TrimSpace(rest), ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return Authorization{}, ErrMalformed
		}
		seen[k] = true
		switch k {
		case "Credential":
			a.AccessKeyID = val
		case "SignedHeaders":
			if val != "" {
				a.SignedHeaders = strings.Split(val, ";")
			}
		case "Signature":
			a.Signature = val
		default:
			return Authorization{}, ErrMalformed
		}
	}
	if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
		return Authorization{}, ErrMalformed
	}
	return a, nil
}

// Request is what the signature covers.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	// Header holds the request's headers; names are matched without regard
	// to case.
	Header map[string][]string
	// SignedHeaders are the lowercase names of the signed headers.
	SignedHeaders []string
	// PayloadHash is the value of x-acs-content-sha256.
	PayloadHash string
}

// encoder turns url.QueryEscape's form encoding into RFC 3986.
var encoder = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

func escape(s string) string { return encoder.Replace(url.QueryEscape(s)) }

// CanonicalQuery returns q sorted by name, then by value, with names and
// values percent-encoded as RFC 3986 asks.
func CanonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escape(k))
			b.WriteByte('=')
			b.WriteString(escape(v))
		}
	}
	return b.String()
}

// CanonicalURI returns the encoded path, "/" when empty.
func CanonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return encoder.Replace(path)
}

// headerValues returns every value of the header named name (any case).
func headerValues(h map[string][]string, name string) []string {
	var out []string
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			for _, v := range vs {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	slices.Sort(out)
	return out
}

// CanonicalRequest returns the canonical request of r.
func CanonicalRequest(r Request) string {
	names := slices.Clone(r.SignedHeaders)
	slices.Sort(names)
	var hb strings.Builder
	for _, n := range names {
		hb.WriteString(n)
		hb.WriteByte(':')
		hb.WriteString(strings.Join(headerValues(r.Header, n), ","))
		hb.WriteByte('\n')
	}
	return r.Method + "\n" + CanonicalURI(r.Path) + "\n" + CanonicalQuery(r.Query) + "\n" +
		hb.String() + "\n" + strings.Join(names, ";") + "\n" + r.PayloadHash
}

// HashPayload returns the lowercase hex SHA-256 of body, the value of
// x-acs-content-sha256.
func HashPayload(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// StringToSign returns the string that is signed for r.
func StringToSign(r Request) string {
	sum := sha256.Sum256([]byte(CanonicalRequest(r)))
	return Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// Sign returns the lowercase hex ACS3-HMAC-SHA256 signature of r under
// secret.
func Sign(r Request, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(StringToSign(r)))
	return hex.EncodeToString(h.Sum(nil))
}

// SignedHeaderNames returns the names a client signs for the headers h: every
// x-acs-* header, host and content-type, lowercase and sorted.
func SignedHeaderNames(h map[string][]string) []string {
	var out []string
	for k := range h {
		l := strings.ToLower(k)
		if (strings.HasPrefix(l, "x-acs-") || l == "host" || l == "content-type") && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// Authorize signs r for the access key and returns the Authorization header
// value. r.SignedHeaders is used as given.
func Authorize(r Request, accessKeyID, secret string) string {
	names := slices.Clone(r.SignedHeaders)
	slices.Sort(names)
	return Authorization{Algorithm: Algorithm, AccessKeyID: accessKeyID, SignedHeaders: names, Signature: Sign(r, secret)}.String()
}

// Verify reports whether signature is the signature of r under secret. The
// comparison takes constant time.
func Verify(r Request, signature, secret string) bool {
	return hmac.Equal([]byte(strings.ToLower(signature)), []byte(Sign(r, secret)))
}
