/**
 * The worker thread of a large `conveyor validate` run (documents/validate-pool.ts): checks the files it is
 * sent with the same deploy checks on deployment-group files as the main thread (loaded only when a
 * batch holds one). Bundled as its own entry; loads the validators after turning on the compile cache,
 * as the CLI does.
 */
import { enableCompileCache } from '../core/compile-cache.js';

enableCompileCache();
const { serveValidation } = await import('../documents/validate-pool.js');
serveValidation(async () => (await import('../deploy/codedeploy-preview.js')).codeDeployGroupFindings);
