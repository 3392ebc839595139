import { migrateMain } from '@zigong/kit';
import { tourism } from './index';

migrateMain(tourism);
