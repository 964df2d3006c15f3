// This file holds the checks of V3 (ACS3-HMAC-SHA256) signed requests.

package fake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/internal/acs3"
)

// isV3 reports whether req is signed, or meant to be signed, with signature
// method V3: it carries an Authorization header, or both x-acs-action and
// x-acs-content-sha256. (Clients that sign with V1 may send x-acs-action
// too, but never the payload hash.)
func isV3(req *http.Request) bool {
	h := req.Header
	return h.Get("Authorization") != "" || (h.Get(acs3.HeaderAction) != "" && h.Get(acs3.HeaderContentSHA256) != "")
}

// checkV3 validates and authenticates a V3 request and returns the call for
// the fake. See Server for the order of its refusals.
func (s *Server) checkV3(req *http.Request) (request, *gatewayError) {
	bad := func(status int, code, msg string) (request, *gatewayError) {
		return request{}, &gatewayError{status, code, msg}
	}
	h := req.Header
	authz := h.Get("Authorization")
	if authz == "" {
		return bad(http.StatusBadRequest, "MissingAuthorization",
			"Authorization is mandatory for a request that names its action in x-acs-action.")
	}
	if len(h.Values("Authorization")) > 1 {
		return bad(http.StatusBadRequest, "InvalidAuthorization", "The Authorization header is given more than once.")
	}
	alg, _, _ := strings.Cut(strings.TrimSpace(authz), " ")
	if alg != acs3.Algorithm {
		// The first word of an Authorization header may be a token itself:
		// only the name of a known scheme is quoted.
		shown := "in the Authorization header"
		if knownAuthSchemes[alg] {
			shown = fmt.Sprintf("%q", alg)
		}
		return bad(http.StatusBadRequest, "InvalidParameter.SignatureMethod",
			fmt.Sprintf("The signature algorithm %s is not supported; sign with %s (signature method V3) or HMAC-SHA1 (V1).",
				shown, acs3.Algorithm))
	}
	auth, err := acs3.ParseAuthorization(authz)
	if err != nil {
		return bad(http.StatusBadRequest, "InvalidAuthorization",
			"The Authorization header is not of the form \""+acs3.Algorithm+" Credential=…,SignedHeaders=…,Signature=…\".")
	}
	for _, name := range []string{acs3.HeaderAction, acs3.HeaderVersion, acs3.HeaderDate, acs3.HeaderNonce, acs3.HeaderContentSHA256} {
		vs := h.Values(name)
		if len(vs) == 0 || vs[0] == "" {
			return bad(http.StatusBadRequest, "Missing"+headerParam(name), name+" is mandatory for this action.")
		}
		if len(vs) > 1 {
			return bad(http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("The header %q is given more than once.", name))
		}
	}
	query, qerr := url.ParseQuery(req.URL.RawQuery)
	if qerr != nil {
		return bad(http.StatusBadRequest, "InvalidParameter", "The query string is not valid URL encoding.")
	}
	body, aerr := readBody(req, s.maxBody)
	if aerr != nil {
		return request{}, aerr
	}
	if got := strings.ToLower(h.Get(acs3.HeaderContentSHA256)); got != acs3.HashPayload(body) {
		return bad(http.StatusBadRequest, "InvalidParameter.ContentSHA256",
			"The x-acs-content-sha256 header does not match the SHA-256 of the request body.")
	}
	// Every header a client signs by rule must be signed, so that nothing
	// the server acts on can be changed on the way.
	signed := auth.SignedHeaders
	for _, n := range signed {
		if n != strings.ToLower(n) {
			return bad(http.StatusBadRequest, "InvalidAuthorization", "SignedHeaders must name headers in lowercase.")
		}
	}
	for _, n := range acs3.SignedHeaderNames(h) {
		if !slices.Contains(signed, n) {
			return bad(http.StatusBadRequest, "InvalidAuthorization",
				fmt.Sprintf("The header %q must be signed: list it in SignedHeaders.", n))
		}
	}
	// Go's server moves Host out of the header map, so the loop above never
	// sees it: the required names are checked on their own.
	for _, n := range acs3.RequiredSignedHeaders {
		if !slices.Contains(signed, n) {
			return bad(http.StatusBadRequest, "InvalidAuthorization",
				fmt.Sprintf("The header %q must be signed: list it in SignedHeaders.", n))
		}
	}

	version := h.Get(acs3.HeaderVersion)
	if version != APIVersion && serviceHandlers[version] == nil {
		return bad(http.StatusBadRequest, "InvalidVersion",
			fmt.Sprintf("The specified x-acs-version %q is not valid; the endpoint serves RAM %s and the versions of ECS, Resource Sharing and KMS the package documents.", clip(version), APIVersion))
	}
	action := h.Get(acs3.HeaderAction)
	if !servesActionIn(version, action) {
		return bad(http.StatusNotFound, "InvalidAction.NotFound",
			fmt.Sprintf("The specified API %q is not found, please check your url and method.", clip(action)))
	}
	cred, who, ok := s.credential(auth.AccessKeyID)
	if !ok {
		return bad(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "The specified access key is not found.")
	}
	if id := h.Get(acs3.HeaderAccessKeyID); id != "" && id != auth.AccessKeyID {
		return bad(http.StatusBadRequest, "InvalidAccessKeyId.Inconsistent",
			"The access key in x-acs-accesskey-id differs from the one in Authorization.")
	}
	header := map[string][]string(h.Clone())
	header["Host"] = []string{req.Host}
	sreq := acs3.Request{
		Method: req.Method, Path: req.URL.Path, Query: query, Header: header,
		SignedHeaders: signed, PayloadHash: strings.ToLower(h.Get(acs3.HeaderContentSHA256)),
	}
	if !acs3.Verify(sreq, auth.Signature, cred.AccessKeySecret) {
		return bad(http.StatusBadRequest, "SignatureDoesNotMatch",
			"The request signature does not match the signature the server calculated (signature method V3).")
	}
	ts, terr := time.Parse(time.RFC3339, h.Get(acs3.HeaderDate))
	if terr != nil {
		return bad(http.StatusBadRequest, "InvalidTimeStamp.Format",
			"The specified x-acs-date is not in ISO 8601 form, such as 2006-01-02T15:04:05Z.")
	}
	if d := s.clock().Sub(ts); d > s.maxSkew || d < -s.maxSkew {
		return bad(http.StatusBadRequest, "InvalidTimeStamp.Expired",
			fmt.Sprintf("The specified x-acs-date is expired: it is more than %v away from the server's time.", s.maxSkew))
	}
	tokens := h.Values(acs3.HeaderSecurityToken)
	if cred.SecurityToken != "" || len(tokens) > 0 {
		if len(tokens) != 1 || tokens[0] != cred.SecurityToken {
			return bad(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey",
				"The specified SecurityToken does not match the access key.")
		}
	}

	if aerr := s.checkExpiry(who); aerr != nil {
		return request{}, aerr
	}

	// API parameters: the query and the body together, each name once.
	if req.Method == http.MethodPost && len(body) > 0 {
		form, aerr := parseBody(h.Get("Content-Type"), body, true)
		if aerr != nil {
			return request{}, aerr
		}
		for k, v := range form {
			query[k] = append(query[k], v...)
		}
	}
	api := make(map[string]string, len(query))
	for k, v := range query {
		if len(v) > 1 {
			return bad(http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("The parameter %q is given more than once.", clip(k)))
		}
		if !apiParam(action, k) {
			return bad(http.StatusBadRequest, "InvalidParameter",
				fmt.Sprintf("The parameter %q belongs to signature method V1 and may not be sent with a V3 signature.", clip(k)))
		}
		api[k] = v[0]
	}
	if !s.nonces.Use("v3\x00"+auth.AccessKeyID, h.Get(acs3.HeaderNonce), ts.Add(s.maxSkew)) {
		return bad(http.StatusBadRequest, "SignatureNonceUsed", "The specified x-acs-signature-nonce was used already.")
	}
	return request{Action: action, Params: api, AccessKeyID: auth.AccessKeyID, Caller: who}, nil
}

// knownAuthSchemes are the Authorization schemes a refusal may name: the
// other V3 algorithms, and the schemes of other protocols.
var knownAuthSchemes = map[string]bool{
	"ACS3-HMAC-SM3": true, "ACS3-RSA-SHA256": true, "ACS3-RSA-SM2": true,
	"HMAC-SHA1": true, "Bearer": true, "Basic": true, "AWS4-HMAC-SHA256": true,
}

// headerParam names the V1 parameter a V3 header stands for, for the
// Missing<Name> code.
func headerParam(h string) string {
	switch h {
	case acs3.HeaderAction:
		return "Action"
	case acs3.HeaderVersion:
		return "Version"
	case acs3.HeaderDate:
		return "Date"
	case acs3.HeaderNonce:
		return "SignatureNonce"
	default:
		return "ContentSHA256"
	}
}

// clip shortens a client's value before it is echoed in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
