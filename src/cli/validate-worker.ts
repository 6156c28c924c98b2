/**
 * The worker thread of a large `conveyor validate` run (documents/validate-pool.ts): checks the files it is
 * sent with the same deploy checks on deployment-group files as the main thread. Bundled as its own entry;
 * loads the validators after turning on the compile cache, as the CLI does.
 */
import { enableCompileCache } from '../core/compile-cache.js';

enableCompileCache();
const [{ codeDeployGroupFindings }, { serveValidation }] = await Promise.all([
  import('../deploy/codedeploy-preview.js'),
  import('../documents/validate-pool.js'),
]);
serveValidation(codeDeployGroupFindings);
