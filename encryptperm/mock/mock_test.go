package mock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"go.uber.org/mock/gomock"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/mock"
)

var (
	_ encryptperm.RAM             = (*mock.MockRAM)(nil)
	_ encryptperm.ECS             = (*mock.MockECS)(nil)
	_ encryptperm.ResourceSharing = (*mock.MockResourceSharing)(nil)
	_ encryptperm.KMS             = (*mock.MockKMS)(nil)
)

func TestMockECSAnswersAsProgrammed(t *testing.T) {
	ctrl := gomock.NewController(t)
	m := mock.NewMockECS(ctrl)
	want := &ecs.ModifyImageSharePermissionResponse{RequestId: "r-1"}
	m.EXPECT().ModifyImageSharePermission(gomock.Any()).Return(want, nil)
	var backend encryptperm.ECS = m
	got, err := backend.ModifyImageSharePermission(ecs.CreateModifyImageSharePermissionRequest())
	if err != nil || got.RequestId != "r-1" {
		t.Fatalf("ModifyImageSharePermission = %v, %v; want RequestId r-1, nil", got, err)
	}
}

// An expectation set before ExpectEmptyAccount answers first, as its
// documentation says: here a throttled GetRole, which the engine retries and
// then reports as ErrThrottled.
func TestExpectEmptyAccountYieldsToEarlierExpectations(t *testing.T) {
	ctrl := gomock.NewController(t)
	m := mock.NewMockRAM(ctrl)
	m.EXPECT().GetRole(gomock.Any()).Return(nil, mock.ServerError(400, "Throttling.User")).Times(2)
	mock.ExpectEmptyAccount(m)
	g, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		t.Fatal(err)
	}
	opts := &encryptperm.Options{Retry: encryptperm.RetryOptions{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}}
	_, err = encryptperm.NewApplier(m, opts).Plan(context.Background(), g)
	if !errors.Is(err, encryptperm.ErrThrottled) {
		t.Fatalf("Plan = %v, want an error for which errors.Is(err, ErrThrottled)", err)
	}
	var apiErr *encryptperm.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "Throttling.User" {
		t.Fatalf("Plan = %v, want an *APIError with code Throttling.User", err)
	}
}

// NotFound is what RAM answers for an absent role: Check then answers "not
// allowed" without an error.
func TestNotFoundRoleIsAbsentNotAnError(t *testing.T) {
	ctrl := gomock.NewController(t)
	m := mock.NewMockRAM(ctrl)
	m.EXPECT().GetRole(gomock.Any()).Return(nil, mock.NotFound("EntityNotExist.Role"))
	key := encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "key-hzabc"}
	d, err := encryptperm.Check(context.Background(), m, encryptperm.Access{Recipient: "2000000000000001", Resource: encryptperm.ResourceImage, Key: key})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if d.Allowed {
		t.Fatal("Check over an absent role: allowed, want not allowed")
	}
}
