// SPDX-License-Identifier: Apache-2.0
// Where the DeepStream bbox parser library under test and its nvinfer-like harness are. A build with the SDK
// makes libowl_ds_parser.so (nvinfer's custom-lib-path) beside the addon; a build without it makes the same
// source against the stand-in headers as libowl_ds_parser_standin.so, never under the production name.
// OWL_DS_PARSER_BUILD names a folder where native/tools/ds-compile-check.sh built both against REAL headers.
import path from 'node:path';
import { addonPath, native } from '../../ts/native';

/** The file name the generated nvinfer config points at. */
export const PRODUCTION_PARSER_LIB = 'libowl_ds_parser.so';

/** The parser library and harness the tests load, and whether they were built against real SDK headers. */
export function parserBuild(): { lib: string; harness: string; realHeaders: boolean } {
  const checked = process.env.OWL_DS_PARSER_BUILD;
  const dir = checked ?? path.dirname(addonPath);
  const realHeaders = checked !== undefined || native.deepstreamAvailable;
  return {
    lib: path.join(dir, realHeaders ? PRODUCTION_PARSER_LIB : 'libowl_ds_parser_standin.so'),
    harness: path.join(dir, 'owl_parser_harness'),
    realHeaders,
  };
}
