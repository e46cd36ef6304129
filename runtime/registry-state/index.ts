export { StoreRepositorySettings, REPOSITORY_SETTINGS, REGISTRY_LINK } from './store-settings.js'
export { engineRegistryOpenError, engineRepositorySettings, keepsRepositorySettings } from './engine-settings.js'
