// This file holds the V1 (HMAC-SHA1) signature of RPC requests: canonical
// query, string to sign, signing and checking.

package rpcsig

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
)

// Method is the only signature method this package implements; RPC requests
// carry it in the SignatureMethod parameter.
const Method = "HMAC-SHA1"

// Version is the signature version this package implements; RPC requests
// carry it in the SignatureVersion parameter.
const Version = "1.0"

// SignatureParam is the name of the parameter that carries the signature. It
// is left out of the string to sign.
const SignatureParam = "Signature"

// encoder rewrites the output of url.Values.Encode, which follows HTML form
// rules, into RFC 3986 percent-encoding.
var encoder = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

// CanonicalQuery returns params, without Signature, sorted by name and
// percent-encoded as RFC 3986 asks. A name with several values contributes
// each of them, in order.
func CanonicalQuery(params url.Values) string {
	if _, ok := params[SignatureParam]; ok {
		trimmed := make(url.Values, len(params))
		for k, v := range params {
			if k != SignatureParam {
				trimmed[k] = v
			}
		}
		params = trimmed
	}
	return encoder.Replace(params.Encode())
}

// StringToSign returns the text that is signed for a request made with the
// given HTTP method and parameters (query and form parameters together):
// method + "&%2F&" + the escaped canonical query. A Signature parameter, if
// present, is ignored.
func StringToSign(method string, params url.Values) string {
	return method + "&%2F&" + url.QueryEscape(CanonicalQuery(params))
}

// Sign returns the base64 HMAC-SHA1 signature of the request made with method
// and params, keyed with secret + "&".
func Sign(method string, params url.Values, secret string) string {
	return base64.StdEncoding.EncodeToString(mac(StringToSign(method, params), secret))
}

// Verify reports whether params carry exactly one Signature parameter and it
// is the signature of the request made with method and params under secret.
// The comparison takes constant time.
func Verify(method string, params url.Values, secret string) bool {
	got := params[SignatureParam]
	if len(got) != 1 {
		return false
	}
	return hmac.Equal([]byte(got[0]), []byte(Sign(method, params, secret)))
}

func mac(stringToSign, secret string) []byte {
	h := hmac.New(sha1.New, []byte(secret+"&"))
	h.Write([]byte(stringToSign))
	return h.Sum(nil)
}
