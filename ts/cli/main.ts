#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `owl-stream [stream_input] [--flags]`: the service, with the seed app's (mmj_genai main.py) arguments.
import { runService } from './service-process';

runService(process.argv.slice(2), process.env).then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`owl-stream: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
