import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'import',
  usage: 'Usage: conveyor import (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor import' is not implemented yet");
  },
};
export default command;
