// This file holds hand-written helpers beside the generated mocks: answers
// shaped as RAM's, and the reads an Applier makes.

package mock

import (
	"fmt"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"go.uber.org/mock/gomock"
)

// NotFound returns the error RAM answers for an entity that does not exist,
// as the SDK returns it: a *errors.ServerError with HTTP status 404 and the
// code given, such as "EntityNotExist.Role" or "EntityNotExist.Policy".
// The Applier maps it to encryptperm.ErrNotFound.
func NotFound(code string) error {
	return ServerError(404, code)
}

// ServerError returns an error as the SDK returns a RAM error answer: a
// *errors.ServerError with the HTTP status and code given, such as
// (409, "EntityAlreadyExists.Role") or (400, "Throttling.User").
func ServerError(status int, code string) error {
	return sdkerrors.NewServerError(status, fmt.Sprintf(
		`{"RequestId":"mock-request","HostId":"ram.aliyuncs.com","Code":%q,"Message":"answered by the mock"}`, code), "")
}

// ExpectEmptyAccount sets m up to answer, any number of times, the reads
// every Applier method makes (see the package documentation) as RAM does for
// an account that holds none of the roles and custom policies asked for:
// GetRole and ListPoliciesForRole fail with EntityNotExist.Role, GetPolicy
// and ListPolicyVersions with EntityNotExist.Policy. With it, Plan and
// RevokePlan of any grant, and Check of any Access, run on m without other
// expectations; Apply also needs the writes it makes.
//
// Expectations set before it take precedence, since gomock matches them in
// the order they were set; set your own first to answer a read otherwise.
func ExpectEmptyAccount(m *MockRAM) {
	m.EXPECT().GetRole(gomock.Any()).Return(nil, NotFound("EntityNotExist.Role")).AnyTimes()
	m.EXPECT().ListPoliciesForRole(gomock.Any()).Return(nil, NotFound("EntityNotExist.Role")).AnyTimes()
	m.EXPECT().GetPolicy(gomock.Any()).Return(nil, NotFound("EntityNotExist.Policy")).AnyTimes()
	m.EXPECT().ListPolicyVersions(gomock.Any()).Return(nil, NotFound("EntityNotExist.Policy")).AnyTimes()
}
