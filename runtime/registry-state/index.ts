export { StoreRepositorySettings, REPOSITORY_SETTINGS, REGISTRY_LINK } from './store-settings.js'
