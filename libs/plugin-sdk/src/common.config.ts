/** The config class of a plugin that takes no options: any key is refused. */
export class NoConfig {}
