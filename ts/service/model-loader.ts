// SPDX-License-Identifier: Apache-2.0
// The engine's model over the service's life: loaded at start, and again on SIGHUP where the engine takes it live
// and the model's settings or its folder's files changed (reload-plan.ts decides; model-watch.ts notices the
// files). A new model replaces the one in use only once it holds every prompt in force (the service-wide ones and
// each stream's own); the streams then adapt their pipelines to it (ServiceStream.modelChanged). A model that
// fails to load leaves the one in use running; with none in use, the failure is what status and /ready report.
import type { OwlConfig } from '../config/schema';
import type { Engine } from './engine';
import type { Logger } from './logger';
import { ModelWatch } from './model-watch';
import { describePrompts, type PromptControl } from './prompt-control';
import type { ServiceStream } from './service-stream';

/** What ModelLoader needs. */
export interface ModelLoaderOptions {
  engine: Pick<Engine, 'loadModel' | 'withoutModel'>;
  prompts: PromptControl;
  streams: { list(): ServiceStream[] };
  log: Logger;
}

/** Loads the engine's model; see the file comment. */
export class ModelLoader {
  readonly #options: ModelLoaderOptions;
  readonly #watch = new ModelWatch();

  constructor(options: ModelLoaderOptions) {
    this.#options = options;
  }

  /** Whether the files of `settings.folder` changed since the last attempt to load it (or it is another folder). */
  filesChanged(settings: OwlConfig['model']): Promise<boolean> {
    return this.#watch.changed(settings.folder);
  }

  /** Loads the model of `settings` and puts it in use (see the file comment). Never rejects: failures are logged. */
  async load(settings: OwlConfig['model']): Promise<void> {
    const { engine, prompts, streams, log } = this.#options;
    await this.#watch.remember(settings.folder);
    const replacing = prompts.modelStatus().loaded;
    try {
      const model = await prompts.adopt((prepare) => engine.loadModel(prompts.get(), settings, prepare));
      for (const stream of streams.list()) void stream.modelChanged();
      log.info(`model ${settings.folder} loaded (${model.summary}); image encoder ${model.precision.running}: `
        + `${model.precision.reason}; prompts ${describePrompts(prompts.get())}`);
      if (model.precision.warning !== null) log.warn(`model.precision: ${model.precision.warning}`);
    } catch (err) {
      const message = (err as Error).message;
      if (replacing) {
        log.error(`model not reloaded, the one loaded before runs on: ${message}`);
        return;
      }
      prompts.failed(message);
      log.error(`model not loaded, ${engine.withoutModel}: ${message}`);
    }
  }
}
