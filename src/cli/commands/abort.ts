import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'abort',
  usage: 'Usage: conveyor abort (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor abort' is not implemented yet");
  },
};
export default command;
