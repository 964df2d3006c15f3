package fake

import (
	"context"
	"net/http"
)

// request is one RAM call as the core sees it, however it arrived: from an
// in-process method or from the RPC endpoint.
type request struct {
	// Action is RAM's action name, such as "CreateRole".
	Action string
	// Params holds the API parameters (RoleName, PolicyDocument, ...), without
	// the RPC protocol's common parameters.
	Params map[string]string
	// AccessKeyID is the caller's key ID; empty for in-process calls.
	AccessKeyID string
}

// response is the core's answer: exactly what the endpoint sends.
type response struct {
	Status int
	Header http.Header
	Body   []byte // JSON, shaped as RAM's
	// Lost means the call committed but its answer is lost: the endpoint
	// closes the connection without answering, and an in-process call returns
	// a transport error.
	Lost bool
}

// do runs one call against the fake's state. (Stub until the core lands.)
func (r *RAM) do(ctx context.Context, req request) response {
	return response{Status: http.StatusBadRequest, Header: http.Header{}, Body: []byte(`{"RequestId":"","HostId":"ram.aliyuncs.com","Code":"InvalidAction.NotFound","Message":"stub"}`)}
}
