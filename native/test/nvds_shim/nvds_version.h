// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvds_version.h>: not NVIDIA's file. It names the SDK
// version whose struct layout the stand-in headers here mirror (DeepStream 9.1: NvDsInferObjectDetectionInfo
// with rotation_angle), so that native/src/deepstream/sdk_abi_checks.h checks the stand-ins like a real SDK.
#pragma once

#define NVDS_VERSION_MAJOR 9
#define NVDS_VERSION_MINOR 1
#define NVDS_VERSION_MICRO 0
