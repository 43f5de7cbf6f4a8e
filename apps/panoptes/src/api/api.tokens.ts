/** Injection token of the PluginHost the API serves. */
export const PLUGIN_HOST = Symbol('PLUGIN_HOST');
/** Injection token of the validated `api:` config section. */
export const API_CONFIG = Symbol('API_CONFIG');
