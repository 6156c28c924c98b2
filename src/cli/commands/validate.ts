import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'validate',
  usage: 'Usage: conveyor validate (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor validate' is not implemented yet");
  },
};
export default command;
