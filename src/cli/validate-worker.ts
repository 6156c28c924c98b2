/**
 * The worker thread of a large `conveyor validate` run (documents/validate-pool.ts): checks the files it is
 * sent with the same deploy checks on deployment-group files as the main thread. Bundled as its own entry.
 */
import { codeDeployGroupFindings } from '../deploy/codedeploy-preview.js';
import { serveValidation } from '../documents/validate-pool.js';

serveValidation(codeDeployGroupFindings);
