package mock_test

import (
	"testing"

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
