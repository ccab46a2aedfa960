// SPDX-License-Identifier: Apache-2.0
// Environment variables: every config key can be set as OWL_<SECTION>_<KEY> (camelCase becomes
// SNAKE_CASE): OWL_REDIS_HOST, OWL_API_TOKEN, OWL_INPUT_RTSP_LATENCY_MS, ... plus OWL_CONFIG for the file.
// An empty variable counts as unset (compose files often pass `VAR=` for "not given").
import { emptyLayer, isMapping, setSetting, textAsType, type ConfigLayer } from './layers';
import { defaultConfig } from './schema';

/** The variable naming the YAML config file (below --config, above nothing). */
export const CONFIG_FILE_VARIABLE = 'OWL_CONFIG';

/** One environment variable and the key it sets. */
export interface EnvSetting {
  name: string;
  path: string[];
  default: unknown;
}

/** Every config variable, in config order. */
export function envSettings(): EnvSetting[] {
  const settings: EnvSetting[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (isMapping(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      return;
    }
    settings.push({ name: envName(path), path, default: value });
  };
  walk(defaultConfig(), []);
  return settings;
}

/** OWL_ + the key path in SNAKE_CASE, e.g. model.imageEncoderEngine → OWL_MODEL_IMAGE_ENCODER_ENGINE. */
function envName(path: readonly string[]): string {
  return ['OWL', ...path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'))].join('_').toUpperCase();
}

/** The settings the environment gives, each attributed to `environment OWL_...`. */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer = emptyLayer();
  for (const setting of envSettings()) {
    const text = env[setting.name];
    if (text === undefined || text === '') continue;
    setSetting(layer, setting.path, textAsType(text, setting.default), `environment ${setting.name}`);
  }
  return layer;
}
