export * from './model.js';
export { planShares, type Plan } from './plan.js';
export {
  collectionCardRef,
  collectionRef,
  createCollections,
  type Collections,
  type CollectionsDeps,
} from './service.js';
