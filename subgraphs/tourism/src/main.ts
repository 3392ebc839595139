import { serveDepartment } from '@zigong/kit';
import { tourism } from './index';

serveDepartment(tourism);
