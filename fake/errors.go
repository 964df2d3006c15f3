// This file holds RAM's error codes, their HTTP statuses and messages, as the
// fake returns them.

package fake

import (
	"fmt"
	"net/http"
)

// hostID is the HostId of every error body, as RAM sends it.
const hostID = "ram.aliyuncs.com"

// codeInfo is the default HTTP status and message of one error code.
type codeInfo struct {
	status  int
	message string
}

// codes holds the error codes the fake returns. Statuses follow RAM's
// published tables where they exist; the rest are marked in the package
// documentation and can be overridden with Options.Statuses.
var codes = map[string]codeInfo{
	// Parameter checks.
	"InvalidParameter.RoleName.InvalidChars":              {400, `The parameter - "RoleName" contains invalid chars.`},
	"InvalidParameter.RoleName.Length":                    {400, `The parameter - "RoleName" beyond the length limit.`},
	"InvalidParameter.PolicyName.InvalidChars":            {400, `The parameter - "PolicyName" contains invalid chars.`},
	"InvalidParameter.PolicyName.Length":                  {400, `The parameter - "PolicyName" beyond the length limit.`},
	"InvalidParameter.AssumeRolePolicyDocument.Length":    {400, `The parameter - "AssumeRolePolicyDocument" beyond the length limit.`},
	"InvalidParameter.NewAssumeRolePolicyDocument.Length": {400, `The parameter - "NewAssumeRolePolicyDocument" beyond the length limit.`},
	"InvalidParameter.PolicyDocument.Length":              {400, `The parameter - "PolicyDocument" beyond the length limit.`},
	"InvalidParameter.Description.Length":                 {400, `The parameter - "Description" beyond the length limit.`},
	"InvalidParameter.NewDescription.Length":              {400, `The parameter - "NewDescription" beyond the length limit.`},
	"InvalidParameter.MaxSessionDuration":                 {400, `The parameter - "MaxSessionDuration" is out of range.`},
	"InvalidParameter.NewMaxSessionDuration":              {400, `The parameter - "NewMaxSessionDuration" is out of range.`},
	"InvalidParameter.PolicyType":                         {400, `The parameter - "PolicyType" is incorrect.`},
	"InvalidParameter.VersionId.Format":                   {400, `The format of the parameter - "VersionId" is incorrect.`},
	"InvalidParameter.SetAsDefault":                       {400, `The parameter - "SetAsDefault" is incorrect.`},
	"InvalidParameter.RotateStrategy":                     {400, `The parameter - "RotateStrategy" is incorrect.`},
	"InvalidParameter.MaxItems":                           {400, `The parameter - "MaxItems" is incorrect.`},
	"InvalidParameter.Marker":                             {400, `The parameter - "Marker" is incorrect.`},
	"MalformedPolicyDocument":                             {400, `The policy format is invalid.`},
	"InvalidParameter.CascadingDelete":                    {400, `The parameter - "CascadingDelete" is incorrect.`},
	"InvalidParameter.NotSupported":                       {400, `The parameter is not supported by this endpoint.`},

	// Entities.
	"EntityNotExist.Role":                   {404, `The role does not exist.`},
	"EntityNotExist.Policy":                 {404, `The policy does not exist.`},
	"EntityNotExist.Policy.Version":         {404, `The policy version does not exist.`},
	"EntityNotExist.Role.Policy":            {404, `The policy is not attached to the role.`},
	"EntityAlreadyExists.Role":              {409, `The role does already EXIST.`},
	"EntityAlreadyExists.Policy":            {409, `The policy does already EXIST.`},
	"EntityAlreadyExists.Role.Policy":       {409, `The policy is already attached to the role.`},
	"DeleteConflict.Role.Policy":            {409, `The role CAN NOT has any attached policy while deleting the role.`},
	"DeleteConflict.Policy.Role":            {409, `The policy CAN NOT been attached to any role while deleting the policy.`},
	"DeleteConflict.Policy.Version":         {409, `The policy CAN NOT has any version except the default version.`},
	"DeleteConflict.Policy.Version.Default": {409, `The default policy version CAN NOT been deleted directly.`},
	"LimitExceeded.Policy.Version":          {409, `The count of policy version beyond the current limits.`},
	"LimitExceeded.Role.Policy":             {409, `The count of policies attached to the role beyond the current limits.`},
	"LimitExceeded.Role":                    {409, `The count of roles beyond the current limits.`},
	"LimitExceeded.Policy":                  {409, `The count of policy beyond the current limits.`},

	// Service-wide codes, mostly for fault rules.
	"InvalidAction.NotFound": {404, `Specified api is not found, please check your url and method.`},
	"NoPermission":           {403, `You are not authorized to do this action.`},
	"Throttling":             {400, `Request was denied due to request throttling.`},
	"Throttling.User":        {400, `Request was denied due to user flow control.`},
	"Throttling.Api":         {400, `Request was denied due to api flow control.`},
	"ServiceUnavailable":     {503, `The request has failed due to a temporary failure of the server.`},
	"InternalError":          {500, `An internal error occurred.`},
}

// unknownCodeStatus is the status of a code the table does not know, such as
// a fault rule's own code without a Status.
const unknownCodeStatus = http.StatusInternalServerError

// apiError is a refusal: an error code and its message.
type apiError struct {
	Code    string
	Message string
}

// codeInfoOf returns what the fake knows of code: RAM's table first, then
// the other services'.
func codeInfoOf(code string) (codeInfo, bool) {
	if c, ok := codes[code]; ok {
		return c, true
	}
	c, ok := serviceCodes[code]
	return c, ok
}

// newError returns the error of code with its default message.
func newError(code string) *apiError {
	c, _ := codeInfoOf(code)
	return &apiError{Code: code, Message: c.message}
}

// ruleError is the error a fault rule answers with: its code, and its
// message or else the code's default one.
func ruleError(rule Rule) *apiError {
	e := newError(rule.Code)
	if rule.Message != "" {
		e.Message = rule.Message
	}
	return e
}

// errorf returns the error of code with a message of its own.
func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// missing is the error for an absent required parameter: RAM's gateway
// answers Missing<Name> with "<Name> is mandatory for this action.".
func missing(name string) *apiError {
	return &apiError{Code: "Missing" + name, Message: name + " is mandatory for this action."}
}

// status returns the HTTP status of code: Options.Statuses first, then the
// table, then 400 for Missing* codes and 500 for the rest.
func (r *RAM) status(code string) int {
	if s, ok := r.opts.Statuses[code]; ok && s > 0 {
		return s
	}
	if c, ok := codeInfoOf(code); ok {
		return c.status
	}
	if len(code) > len("Missing") && code[:len("Missing")] == "Missing" {
		return http.StatusBadRequest
	}
	return unknownCodeStatus
}
